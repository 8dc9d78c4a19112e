/**
 * The shapes real third-party code has and the stand-in upstream did not (issue 9), each in a
 * fixture written here: keyword property names, SQL in CRLF templates, a large function across
 * many versions, .mjs / "type": "module" / TypeScript / JSX, BOM + shebang, a Prettier-style
 * reformat, the lost-insert overlap, and ambiguous / near-miss locators.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PinError,
  applyPatches,
  checkUpstream,
  definePatch,
  findAll,
  formatFailures,
  keysAlone,
  locateText,
  parseFile,
  pinNode,
  pinText,
  takePin,
} from '../../src/patcher/index.js';
import type { ApplyResult, NodeType, PatchFailure, PatchSpec } from '../../src/patcher/index.js';
import { hashKeys, tokenKeys } from '../../src/patcher/tokens.js';
import { createTempDirectory, normalise } from './helpers.js';

type Inline<T extends NodeType> = Omit<PatchSpec<T>, 'anchorSha256' | 'why'> & { why?: string };

/** Writes `files` (relative posix path → text) under a fresh temp folder and returns it. */
function tree(files: Record<string, string>, root = createTempDirectory()): string {
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(root, ...rel.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return root;
}

/** Pins a spec against `upstreamDir` the way `npm run repin` does (writes anchors/<id>.js into patchesDir). */
function pin<T extends NodeType>(spec: Inline<T>, upstreamDir: string, patchesDir: string): PatchSpec {
  const widened = definePatch({ why: 'test', ...spec, anchorSha256: '' });
  const taken = takePin(widened, upstreamDir);
  fs.mkdirSync(path.join(patchesDir, 'anchors'), { recursive: true });
  fs.writeFileSync(path.join(patchesDir, 'anchors', `${spec.id}.js`), taken.text);
  return { ...widened, anchorSha256: taken.pin.sha256 };
}

/** Hashes change whenever a fixture does; the messages' shape is what the snapshots pin. */
const hashless = (text: string): string => text.replace(/[0-9a-f]{64}/g, '<sha256>').replace(/[0-9a-f]{12}…/g, '<sha>…');

const kinds = (r: ApplyResult): string[] => (r.ok ? [] : r.failures.map((f) => `${f.patchId}:${f.kind}`));
const failuresOf = (r: ApplyResult): PatchFailure[] => (r.ok ? [] : r.failures);
const outputOf = (r: ApplyResult, file: string): string => {
  if (!r.ok) throw new Error(formatFailures(r.failures));
  return r.files.get(file)!;
};

describe('keywords used as property names', () => {
  const source = [
    "'use strict';",
    'function track(jobs, cache) {',
    '  const result = { default: 1, delete: cache.delete, new: true, class: "x" };',
    '  jobs.catch((err) => cache.delete(err.id)).finally(() => cache.clear());',
    '  return result;',
    '}',
    'module.exports = { track, default: track };',
    '',
  ].join('\n');

  it('the pin taken from the whole file equals the anchor text tokenized alone, and the next check accepts it', () => {
    const upstream = tree({ 'lib/jobs.js': source });
    const patchesDir = createTempDirectory();
    const spec = pin(
      {
        id: 'jobs',
        file: 'lib/jobs.js',
        find: { type: 'FunctionDeclaration', describe: 'function track', where: (n) => n.id?.name === 'track' },
        edit: (s, n) => void s.appendLeft(n.end, '\n/* host-patch:jobs */'),
      },
      upstream,
      patchesDir,
    );
    // Whole-file parse: acorn labels .finally/.catch/.delete/default as names; alone: as keywords.
    const { tokens } = parseFile(source, 'lib/jobs.js');
    const fn = source.indexOf('function track');
    const end = source.indexOf('}\nmodule') + 1;
    expect(hashKeys(tokenKeys(tokens, source, fn, end))).toBe(hashKeys(keysAlone(source.slice(fn, end))));
    expect(kinds(applyPatches({ upstreamDir: upstream, patches: [spec], patchesDir }))).toEqual([]);
    // And a real change to one of those names is still drift.
    fs.writeFileSync(path.join(upstream, 'lib/jobs.js'), source.replace('.finally(', '.then('));
    expect(kinds(applyPatches({ upstreamDir: upstream, patches: [spec], patchesDir }))).toEqual(['jobs:drifted']);
  });

  it('a Property anchor keyed by a keyword pins and applies', () => {
    const upstream = tree({ 'lib/jobs.js': source });
    const patchesDir = createTempDirectory();
    const spec = pin(
      {
        id: 'default-export',
        file: 'lib/jobs.js',
        find: { type: 'Property', describe: 'exports property `default`', where: (n) => n.key.type === 'Identifier' && n.key.name === 'default' && n.value.type === 'Identifier' },
        edit: (s, n) => void s.update(n.value.start, n.value.end, 'track /* host-patch:default-export */'),
      },
      upstream,
      patchesDir,
    );
    expect(outputOf(applyPatches({ upstreamDir: upstream, patches: [spec], patchesDir }), 'lib/jobs.js')).toContain(
      'default: track /* host-patch:default-export */ }',
    );
  });
});

describe('SQL inside a template, CRLF checkout', () => {
  const schema = (eol: string, extra = ''): string =>
    [
      "const db = require('./connection');",
      '',
      'db.exec(`',
      '  -- sessions: one row per agent session',
      '  CREATE TABLE IF NOT EXISTS sessions (',
      '    id TEXT PRIMARY KEY,',
      '    status TEXT NOT NULL',
      '  );',
      '',
      '  CREATE TABLE IF NOT EXISTS events (',
      '    id INTEGER PRIMARY KEY,',
      `    session_id TEXT NOT NULL${extra}`,
      '  );',
      '`);',
      '',
    ].join(eol);

  const HEAD = 'CREATE TABLE IF NOT EXISTS sessions (\n    id TEXT PRIMARY KEY,\n';
  const spec: Inline<'TemplateLiteral'> = {
    id: 'harness-column',
    file: 'server/schema.js',
    find: {
      type: 'TemplateLiteral',
      describe: 'db.exec(`… CREATE TABLE IF NOT EXISTS sessions …`)',
      where: (n) => n.quasis.some((q) => q.value.cooked?.includes('CREATE TABLE IF NOT EXISTS sessions')),
    },
    // Only the sessions table: a change to the events table is not this patch's business.
    pin: (n, ctx) => {
      const head = ctx.locateText('CREATE TABLE IF NOT EXISTS sessions (', n);
      return [pinText({ start: head.start, end: ctx.source.indexOf(');', head.end) + 2 }, 'sessions table')];
    },
    edit: (s, n, ctx) => {
      const at = ctx.locateText(HEAD, n);
      s.appendLeft(at.end, `    harness TEXT NOT NULL DEFAULT 'claude', -- host-patch:harness-column${ctx.eol}`);
    },
  };

  it('the edit lands after the id column in a CRLF file, with CRLF line ends, and the LF pin still holds', () => {
    const patchesDir = createTempDirectory();
    const pinned = pin(spec, tree({ 'server/schema.js': schema('\n') }), patchesDir);
    const crlf = tree({ 'server/schema.js': schema('\r\n') });
    const out = outputOf(applyPatches({ upstreamDir: crlf, patches: [pinned], patchesDir }), 'server/schema.js');
    expect(out).toBe(schema('\r\n').replace('id TEXT PRIMARY KEY,\r\n', "id TEXT PRIMARY KEY,\r\n    harness TEXT NOT NULL DEFAULT 'claude', -- host-patch:harness-column\r\n"));
  });

  it('offsets from value.raw would be off by one per CRLF line end (why ctx.locateText exists)', () => {
    const src = schema('\r\n');
    const { ast } = parseFile(src, 'server/schema.js');
    const quasi = findAll(ast, 'TemplateElement')[0]!.node;
    const viaRaw = quasi.start + quasi.value.raw.indexOf('id TEXT PRIMARY KEY');
    const real = src.indexOf('id TEXT PRIMARY KEY');
    const crlfsBefore = src.slice(quasi.start, real).split('\r\n').length - 1;
    expect(crlfsBefore).toBe(3);
    expect(viaRaw).toBe(real - crlfsBefore);
    // ctx.locateText finds the real offset with an LF needle.
    expect(locateText(src, 'sessions (\n    id TEXT PRIMARY KEY', quasi).end).toBe(real + 'id TEXT PRIMARY KEY'.length);
  });

  it('a change elsewhere in the template is not drift; a change in the pinned table is, with its own diff', () => {
    const patchesDir = createTempDirectory();
    const pinned = pin(spec, tree({ 'server/schema.js': schema('\n') }), patchesDir);
    const elsewhere = tree({ 'server/schema.js': schema('\n', ',\n    created_at TEXT') });
    expect(kinds(applyPatches({ upstreamDir: elsewhere, patches: [pinned], patchesDir }))).toEqual([]);
    const changed = tree({ 'server/schema.js': schema('\n').replace('status TEXT NOT NULL', "status TEXT NOT NULL DEFAULT 'active'") });
    const result = applyPatches({ upstreamDir: changed, patches: [pinned], patchesDir });
    expect(kinds(result)).toEqual(['harness-column:drifted']);
    expect(hashless(normalise(failuresOf(result)[0]!.message, changed, patchesDir))).toMatchInlineSnapshot(`
      "[monitor-build] patch "harness-column" did not apply: upstream changed the anchor
        file      <tmp>/server/schema.js:3:9
        anchor    db.exec(\`… CREATE TABLE IF NOT EXISTS sessions …\`)
        expected  sha256 <sha256> (pinned in <tmp>/harness-column.ts)
        found     sha256 <sha256>
        diff of pinned part "sessions table" at <tmp>/server/schema.js:5:3 (pinned → current):
          @@ -1,4 +5,4 @@
            CREATE TABLE IF NOT EXISTS sessions (
              id TEXT PRIMARY KEY,
          -   status TEXT NOT NULL
          +   status TEXT NOT NULL DEFAULT 'active'
            );
      Review the upstream change, then re-pin after review: npm run repin -- harness-column --upstream <tmp> --patches <tmp>"
    `);
  });

  it('repin refuses to pin a TemplateElement (its text alone is not JavaScript) and says what to do instead', () => {
    const upstream = tree({ 'server/schema.js': schema('\n') });
    const element = definePatch({
      id: 'element',
      file: 'server/schema.js',
      why: 'test',
      find: { type: 'TemplateElement', describe: 'the schema text', where: () => true },
      anchorSha256: '',
      edit: () => undefined,
    });
    expect(() => takePin(element, upstream)).toThrow(PinError);
    expect(() => takePin(element, upstream)).toThrow(/does not reproduce the tokens of the file .*pinText/);
  });
});

describe('a large function across versions: a narrow pin drifts only when its parts change', () => {
  /** A ~400-line event handler: many cases, one transcript read the patch depends on. */
  function handler(v: { read?: string; params?: string; filler?: (i: number) => string; extraCase?: boolean; rename?: boolean }): string {
    const lines = [`const ${v.rename ? 'recordEvent' : 'processEvent'} = db.transaction((${v.params ?? 'hookType, data'}) => {`, '  let summary = "";', '  switch (hookType) {'];
    for (let i = 0; i < 60; i++) {
      lines.push(`    case 'Hook${i}': {`, `      summary = ${v.filler ? v.filler(i) : `'hook ${i}'`};`, `      stmts.touch${i % 7}.run(data.session_id);`, '      break;', '    }');
    }
    if (v.extraCase) lines.push("    case 'Compact': {", "      summary = 'compacted';", '      break;', '    }');
    lines.push('  }', '  if (data.transcript_path) {', `    const usage = ${v.read ?? 'transcriptCache.extract(data.transcript_path)'};`, '    if (usage) stmts.addTokens.run(usage.input, data.session_id);', '  }', '  return { summary };', '});', '');
    return lines.join('\n');
  }
  const isRead = (c: { callee: { type: string } }): boolean => {
    const callee = c.callee as { type: string; object?: { name?: string }; property?: { name?: string } };
    return callee.type === 'MemberExpression' && callee.object?.name === 'transcriptCache';
  };
  const fnOf = (n: { declarations: Array<{ init?: unknown }> }) =>
    (n.declarations[0]!.init as { arguments: Array<{ params: Array<{ start: number; end: number }>; body: { start: number; end: number } & object }> }).arguments[0]!;
  const narrow: Inline<'VariableDeclaration'> = {
    id: 'transcript-outside-tx',
    file: 'server/hooks.js',
    find: {
      type: 'VariableDeclaration',
      describe: 'const processEvent = db.transaction(…)',
      where: (n, ctx) => ctx.ancestors.length === 1 && n.declarations[0]?.id.type === 'Identifier' && n.declarations[0].id.name === 'processEvent',
    },
    pin: (n) => {
      const fn = fnOf(n);
      const reads = findAll(fn.body as never, 'CallExpression', (c) => isRead(c));
      return [...fn.params.map((p) => pinNode(p, 'parameter')), ...reads.map((m) => pinNode(m.node, 'transcript read'))];
    },
    edit: (s, n) => {
      const fn = fnOf(n);
      for (const m of findAll(fn.body as never, 'CallExpression', (c) => isRead(c))) s.update(m.node.start, m.node.end, 'transcriptData /* host-patch:transcript-outside-tx */');
    },
  };
  const whole: Inline<'VariableDeclaration'> = { ...narrow, id: 'whole-node', pin: undefined, edit: (s, n) => void s.appendLeft(n.end, ' /* host-patch:whole-node */') };

  // 12 releases; the pinned parts change in exactly three of them.
  const versions: Array<{ name: string; text: string; narrow: 'applies' | 'drifted' | 'anchor missing' }> = [
    { name: 'v1 base', text: handler({}), narrow: 'applies' },
    { name: 'v2 case text reworded', text: handler({ filler: (i) => `'event ${i}'` }), narrow: 'applies' },
    { name: 'v3 new case added', text: handler({ extraCase: true }), narrow: 'applies' },
    { name: 'v4 transcript read changed', text: handler({ read: 'transcriptCache.extract(data.transcript_path, { tail: true })' }), narrow: 'drifted' },
    { name: 'v5 template summaries', text: handler({ filler: (i) => `\`hook \${${i}}\`` }), narrow: 'applies' },
    { name: 'v6 comments everywhere', text: handler({}).replace(/break;/g, 'break; // done'), narrow: 'applies' },
    { name: 'v7 parameter renamed', text: handler({ params: 'hookType, payload' }), narrow: 'drifted' },
    { name: 'v8 reindented with tabs', text: handler({}).replace(/^ {2}/gm, '\t'), narrow: 'applies' },
    { name: 'v9 statements reordered', text: handler({ filler: (i) => `'hook ' + ${i}` }), narrow: 'applies' },
    { name: 'v10 second read added', text: handler({ read: 'transcriptCache.extract(data.transcript_path) || transcriptCache.extract(data.fallback_path)' }), narrow: 'drifted' },
    { name: 'v11 trailing commas', text: handler({}).replace('(hookType, data)', '(hookType, data,)'), narrow: 'applies' },
    { name: 'v12 function renamed', text: handler({ rename: true }), narrow: 'anchor missing' },
  ];

  it('reports drift exactly for the versions that change a pinned part; a whole-node pin drifts on almost every release', () => {
    const patchesDir = createTempDirectory();
    const base = tree({ 'server/hooks.js': versions[0]!.text });
    const patches = [pin(narrow, base, patchesDir), pin(whole, base, patchesDir)];
    const rows = versions.map((v) => {
      const upstreamDir = tree({ 'server/hooks.js': v.text });
      const [n, w] = checkUpstream({ upstreamDir, patches, patchesDir });
      return { name: v.name, narrow: n!.status, whole: w!.status };
    });
    expect(rows.map((r) => `${r.name}: ${r.narrow}`)).toEqual(versions.map((v) => `${v.name}: ${v.narrow}`));
    expect(rows.filter((r) => r.whole === 'drifted').map((r) => r.name)).toEqual([
      'v2 case text reworded',
      'v3 new case added',
      'v4 transcript read changed',
      'v5 template summaries',
      'v7 parameter renamed',
      'v9 statements reordered',
      'v10 second read added',
    ]);
  });

  it('the drift report names only the changed part, with its upstream line', () => {
    const patchesDir = createTempDirectory();
    const patches = [pin(narrow, tree({ 'server/hooks.js': versions[0]!.text }), patchesDir)];
    const upstreamDir = tree({ 'server/hooks.js': versions[3]!.text });
    const result = applyPatches({ upstreamDir, patches, patchesDir });
    const line = versions[3]!.text.split('\n').findIndex((l) => l.includes('const usage')) + 1;
    expect(hashless(normalise(failuresOf(result)[0]!.message, upstreamDir, patchesDir))).toContain(
      `diff of pinned part "transcript read" at <tmp>/server/hooks.js:${line}:19 (pinned → current):\n    @@ -1,1 +${line},1 @@\n    - transcriptCache.extract(data.transcript_path)\n    + transcriptCache.extract(data.transcript_path, { tail: true })`,
    );
  });
});

describe('every module format', () => {
  const edit = (id: string) => (s: { appendLeft: (i: number, t: string) => unknown }, n: { end: number }) => void s.appendLeft(n.end, ` /* host-patch:${id} */`);
  const cases: Array<{ name: string; files: Record<string, string>; file: string; type: NodeType; describe: string; where: (n: never) => boolean; sourceType: string; syntax: string }> = [
    {
      name: '.mjs with import/export',
      files: { 'lib/a.mjs': "import fs from 'node:fs';\nexport const read = (p) => fs.readFileSync(p, 'utf8');\nexport default read;\n" },
      file: 'lib/a.mjs',
      type: 'ExportNamedDeclaration',
      describe: 'export const read',
      where: () => true,
      sourceType: 'module',
      syntax: 'js',
    },
    {
      name: '.js under "type": "module" (top-level await, no import/export)',
      files: { 'package.json': '{ "type": "module" }\n', 'src/main.js': 'const config = await load();\nstart(config);\n' },
      file: 'src/main.js',
      type: 'VariableDeclaration',
      describe: 'const config',
      where: () => true,
      sourceType: 'module',
      syntax: 'js',
    },
    {
      name: '.js with export syntax and no package type',
      files: { 'src/util.js': 'export function port() { return 4820; }\n' },
      file: 'src/util.js',
      type: 'FunctionDeclaration',
      describe: 'function port',
      where: () => true,
      sourceType: 'module',
      syntax: 'js',
    },
    {
      name: 'TypeScript',
      files: {
        'client/api.ts':
          "import type { Session } from './types';\ninterface Options { port: number; token?: string }\nexport async function fetchSessions(opts: Options): Promise<Session[]> {\n  const res = await fetch(`http://127.0.0.1:${opts.port}/api/sessions` as string);\n  return (await res.json()) as Session[];\n}\n",
      },
      file: 'client/api.ts',
      type: 'FunctionDeclaration',
      describe: 'function fetchSessions',
      where: () => true,
      sourceType: 'module',
      syntax: 'ts',
    },
    {
      name: 'TSX',
      files: { 'client/Badge.tsx': "export function Badge<T extends string>({ label }: { label: T }) {\n  return <span className=\"badge\">{label}</span>;\n}\n" },
      file: 'client/Badge.tsx',
      type: 'JSXElement',
      describe: '<span className="badge">',
      where: () => true,
      sourceType: 'module',
      syntax: 'tsx',
    },
    {
      name: 'JSX in a .jsx file',
      files: { 'client/List.jsx': "import React from 'react';\nexport const List = ({ items }) => <ul>{items.map((i) => <li key={i.id}>{i.name}</li>)}</ul>;\n" },
      file: 'client/List.jsx',
      type: 'VariableDeclaration',
      describe: 'const List',
      where: () => true,
      sourceType: 'module',
      syntax: 'jsx',
    },
    {
      name: 'JSX in a .js file',
      files: { 'client/App.js': "const App = () => <main id=\"root\">hello</main>;\nmodule.exports = App;\n" },
      file: 'client/App.js',
      type: 'VariableDeclaration',
      describe: 'const App',
      where: () => true,
      sourceType: 'script',
      syntax: 'jsx',
    },
  ];
  for (const c of cases) {
    it(`${c.name}: parses as ${c.sourceType}/${c.syntax}, pins, patches, and the output parses the same way`, () => {
      const upstreamDir = tree(c.files);
      const patchesDir = createTempDirectory();
      const spec = pin({ id: 'fmt', file: c.file, find: { type: c.type, describe: c.describe, where: c.where as never }, edit: edit('fmt') }, upstreamDir, patchesDir);
      const source = c.files[c.file]!;
      expect(parseFile(source, c.file, { root: upstreamDir }).dialect).toEqual({ sourceType: c.sourceType, syntax: c.syntax });
      const out = outputOf(applyPatches({ upstreamDir, patches: [spec], patchesDir }), c.file);
      expect(out).toContain('/* host-patch:fmt */');
    });
  }

  it('export syntax under a package.json without "type" is a module (Node detects it the same way); "type": "commonjs" is not', () => {
    const root = tree({ 'package.json': '{ "name": "x" }\n', 'lib/a.js': 'export const a = 1;\n', 'cjs/package.json': '{ "type": "commonjs" }\n', 'cjs/b.js': 'export const b = 1;\n' });
    expect(parseFile('export const a = 1;\n', 'lib/a.js', { root }).dialect.sourceType).toBe('module');
    expect(() => parseFile('export const b = 1;\n', 'cjs/b.js', { root })).toThrow(/'import' and 'export' may appear only with 'sourceType: module'/);
  });

  it('a .cjs file stays a script even under "type": "module"', () => {
    const root = tree({ 'package.json': '{ "type": "module" }\n', 'bin/run.cjs': "const with_ = require('x');\n" });
    expect(parseFile(fs.readFileSync(path.join(root, 'bin/run.cjs'), 'utf8'), 'bin/run.cjs', { root }).dialect.sourceType).toBe('script');
  });
});

describe('BOM + shebang', () => {
  const source = "\uFEFF#!/usr/bin/env node\n'use strict';\nconst port = Number(process.env.PORT) || 4820;\nmain(port);\n";
  it('parses, patches at the right offsets, and the output keeps the BOM and the shebang', () => {
    const upstreamDir = tree({ 'bin/hook.js': source });
    const patchesDir = createTempDirectory();
    const spec = pin(
      {
        id: 'port',
        file: 'bin/hook.js',
        find: { type: 'VariableDeclaration', describe: 'const port', where: (n) => n.declarations[0]?.id.type === 'Identifier' && n.declarations[0].id.name === 'port' },
        edit: (s, n) => void s.update(n.declarations[0]!.init!.start, n.declarations[0]!.init!.end, 'hostPort() /* host-patch:port */'),
      },
      upstreamDir,
      patchesDir,
    );
    const result = applyPatches({ upstreamDir, patches: [spec], patchesDir });
    expect(outputOf(result, 'bin/hook.js')).toBe(source.replace('Number(process.env.PORT) || 4820', 'hostPort() /* host-patch:port */'));
    if (result.ok) expect(result.applied[0]).toMatchObject({ line: 3, column: 1 });
  });
  it('a BOM without a shebang also parses, offsets unchanged', () => {
    const src = '\uFEFFconst a = 1;\n';
    const { ast } = parseFile(src, 'x.js');
    expect(ast.body[0]!.start).toBe(1);
  });
});

describe('a Prettier 3 reformat (print width, trailing commas) still applies', () => {
  const before = [
    'const stmts = {',
    "  insertEvent: db.prepare('INSERT INTO events (session_id, hook_type, data) VALUES (?, ?, ?)'),",
    '  listEvents: db.prepare(`SELECT * FROM events WHERE session_id = ? ORDER BY id`)',
    '};',
    'function record(sessionId, hookType, data) { return stmts.insertEvent.run(sessionId, hookType, JSON.stringify(data)); }',
    'module.exports = { stmts, record };',
    '',
  ].join('\n');
  // What `prettier --print-width 80` with the default trailingComma "all" makes of it.
  const after = [
    'const stmts = {',
    '  insertEvent: db.prepare(',
    '    "INSERT INTO events (session_id, hook_type, data) VALUES (?, ?, ?)",',
    '  ),',
    '  listEvents: db.prepare(',
    '    `SELECT * FROM events WHERE session_id = ? ORDER BY id`,',
    '  ),',
    '};',
    'function record(sessionId, hookType, data) {',
    '  return stmts.insertEvent.run(',
    '    sessionId,',
    '    hookType,',
    '    JSON.stringify(data),',
    '  );',
    '}',
    'module.exports = { stmts, record };',
    '',
  ].join('\n');

  it('both anchors apply to the reformatted release', () => {
    const patchesDir = createTempDirectory();
    const upstream = tree({ 'server/db.js': before });
    const patches = [
      pin(
        {
          id: 'stmts',
          file: 'server/db.js',
          find: { type: 'VariableDeclaration', describe: 'const stmts', where: (n) => n.declarations[0]?.id.type === 'Identifier' && n.declarations[0].id.name === 'stmts' },
          edit: (s, n) => void s.appendLeft(n.end, '\n/* host-patch:stmts */'),
        },
        upstream,
        patchesDir,
      ),
      pin(
        {
          id: 'record',
          file: 'server/db.js',
          find: { type: 'FunctionDeclaration', describe: 'function record', where: (n) => n.id?.name === 'record' },
          edit: (s, n) => void s.appendLeft(n.end, '\n/* host-patch:record */'),
        },
        upstream,
        patchesDir,
      ),
    ];
    const reformatted = tree({ 'server/db.js': after });
    expect(checkUpstream({ upstreamDir: reformatted, patches, patchesDir }).map((r) => r.status)).toEqual(['applies', 'applies']);
  });
});

describe('lost insert: prependRight(n.start) by one patch, overwrite(n.key…) of the same node by the next', () => {
  const upstreamDir = (): string => tree({ 'server/db.js': "const stmts = {\n  getSession: db.prepare('SELECT 1'),\n};\n" });
  const first: Inline<'Property'> = {
    id: 'a-insert',
    file: 'server/db.js',
    find: { type: 'Property', describe: 'Property getSession', where: (n) => n.key.type === 'Identifier' && n.key.name === 'getSession' },
    edit: (s, n) => void s.prependRight(n.start, '/* host-patch:a-insert */ '),
  };
  const second = (method: 'overwrite' | 'update'): Inline<'Property'> => ({
    ...first,
    id: 'b-rename',
    after: ['a-insert'],
    edit: (s, n) => void s[method](n.key.start, n.key.end, 'loadSession /* host-patch:b-rename */'),
  });

  it('with overwrite: a conflict (magic-string would silently drop the insert), and the build fails', () => {
    const dir = upstreamDir();
    const patchesDir = createTempDirectory();
    const result = applyPatches({ upstreamDir: dir, patches: [pin(first, dir, patchesDir), pin(second('overwrite'), dir, patchesDir)], patchesDir });
    expect(kinds(result)).toEqual(['b-rename:conflict']);
    expect(hashless(normalise(failuresOf(result)[0]!.message, dir, patchesDir))).toMatchInlineSnapshot(`
      "[monitor-build] patch "b-rename" did not apply: its edit overlaps patch "a-insert"
        file      <tmp>/server/db.js:2:3
        anchor    Property getSession
        range     2:3–2:13 (overwrite), already edited by "a-insert" at 2:3 (prependRight)
      overwrite() drops text inserted at the ends of its range, so one edit would vanish from the output. Use update() (it keeps such inserts), or make the edits disjoint."
    `);
  });

  it('with update: both edits survive', () => {
    const dir = upstreamDir();
    const patchesDir = createTempDirectory();
    const result = applyPatches({ upstreamDir: dir, patches: [pin(first, dir, patchesDir), pin(second('update'), dir, patchesDir)], patchesDir });
    expect(outputOf(result, 'server/db.js')).toContain("/* host-patch:a-insert */ loadSession /* host-patch:b-rename */: db.prepare('SELECT 1')");
  });
});

describe('ambiguous and near-miss locators', () => {
  const files = {
    'server/routes/hooks.js': [
      "const router = require('express').Router();",
      "router.post('/event', (req, res) => handle(req, res));",
      "router.post('/batch', (req, res) => handleBatch(req, res));",
      'function handleBatch(req, res) {',
      '  for (const item of req.body) handle({ body: item }, null);',
      '  res.json({ ok: true });',
      '}',
      'module.exports = router;',
      '',
    ].join('\n'),
    'server/routes/events.js': [
      'function handleEvent(req, res) {',
      '  const { hook_type: hookType, data } = req.body;',
      '  res.json(processEvent(hookType, data));',
      '}',
      'module.exports = { handleEvent };',
      '',
    ].join('\n'),
  };
  const handle = 'function handle(req, res) {\n  const { hook_type: hookType, data } = req.body;\n  res.json(processEvent(hookType, data));\n}\n';

  it('ambiguous: every match is listed with its position and first line', () => {
    const upstreamDir = tree(files);
    const patchesDir = createTempDirectory();
    const spec = definePatch({
      id: 'post-route',
      file: 'server/routes/hooks.js',
      why: 'test',
      find: { type: 'ExpressionStatement', describe: 'router.post(…)', where: (n) => n.expression.type === 'CallExpression' },
      anchorSha256: '0'.repeat(64),
      edit: () => undefined,
    });
    fs.mkdirSync(path.join(patchesDir, 'anchors'), { recursive: true });
    fs.writeFileSync(path.join(patchesDir, 'anchors', 'post-route.js'), "router.post('/event', (req, res) => handle(req, res));");
    const result = applyPatches({ upstreamDir, patches: [spec], patchesDir });
    // The pin files disagree too (a hand-made hash); the locator's diagnosis is reported anyway.
    expect(kinds(result)).toEqual(['post-route:pin-inconsistent', 'post-route:ambiguous']);
    expect(checkUpstream({ upstreamDir, patches: [spec], patchesDir })[0]!.status).toBe('ambiguous');
    expect(hashless(normalise(formatFailures(failuresOf(result)), upstreamDir, patchesDir))).toMatchInlineSnapshot(`
      "[monitor-build] patch "post-route" did not apply: pin files inconsistent: the anchor text does not hash to the pinned sha256
        pinned    sha256 <sha256> (in <tmp>/post-route.ts)
        text      sha256 <sha256> (<tmp>/anchors/post-route.js)
      Both files are written by the re-pin command; re-pin after reviewing the anchor: npm run repin -- post-route --upstream <tmp> --patches <tmp>

      [monitor-build] patch "post-route" did not apply: the anchor matches 4 nodes
        file      <tmp>/server/routes/hooks.js
        anchor    router.post(…): 4 matches, expected 1
        matches   <tmp>/server/routes/hooks.js:2:1  router.post('/event', (req, res) => handle(req, res));
                  <tmp>/server/routes/hooks.js:3:1  router.post('/batch', (req, res) => handleBatch(req, res));
                  <tmp>/server/routes/hooks.js:5:32  handle({ body: item }, null);
                  <tmp>/server/routes/hooks.js:6:3  res.json({ ok: true });
      Make the locator in <tmp>/post-route.ts more specific (use ctx.ancestors or the node's surroundings) so it matches exactly once.

      1 patch failed (2 failures). Nothing was written."
    `);
  });

  it('near miss: "anchor missing" suggests the closest nodes of the same type, in the file and its siblings', () => {
    const patchesDir = createTempDirectory();
    const spec = pin(
      {
        id: 'handle',
        file: 'server/routes/hooks.js',
        find: { type: 'FunctionDeclaration', describe: 'function handle(req, res)', where: (n) => n.id?.name === 'handle' },
        edit: (s, n) => void s.appendLeft(n.end, '/* host-patch:handle */'),
      },
      tree({ ...files, 'server/routes/hooks.js': files['server/routes/hooks.js'] + handle }),
      patchesDir,
    );
    // The release moved handle() to events.js and renamed it handleEvent.
    const upstreamDir = tree(files);
    const result = applyPatches({ upstreamDir, patches: [spec], patchesDir });
    expect(kinds(result)).toEqual(['handle:anchor-missing']);
    expect(hashless(normalise(failuresOf(result)[0]!.message, upstreamDir, patchesDir))).toMatchInlineSnapshot(`
      "[monitor-build] patch "handle" did not apply: upstream no longer has the anchor
        file      <tmp>/server/routes/hooks.js
        anchor    function handle(req, res): 0 matches, expected 1
        expected  sha256 <sha256> (pinned in <tmp>/handle.ts)
        pinned    function handle(req, res) {
                    const { hook_type: hookType, data } = req.body;
                    res.json(processEvent(hookType, data));
                  …
        closest   <tmp>/server/routes/events.js:1:1  97% similar  function handleEvent(req, res) {
                  <tmp>/server/routes/hooks.js:4:1  70% similar  function handleBatch(req, res) {
      Review the upstream change, update the locator in <tmp>/handle.ts, then re-pin after review: npm run repin -- handle --upstream <tmp> --patches <tmp>"
    `);
  });
});
