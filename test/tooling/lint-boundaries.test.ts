// The import-boundary rules of eslint.config.js fire where docs/architecture.md says a folder may
// not import something, and stay quiet on what it may. Snippets are linted with the repo's real
// config as if they were files in those folders (plain JS, so no type information is needed).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const eslint = new ESLint({ cwd: ROOT });

/** The boundary rule ids reported for `code` as if it were the file `rel`. */
async function boundaryHits(rel: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, rel) });
  const fatal = result!.messages.filter((m) => m.fatal);
  if (fatal.length) throw new Error(`${rel}: ${fatal.map((m) => m.message).join('; ')}`);
  return result!.messages
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === '@typescript-eslint/no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => m.message);
}

describe('import boundaries', () => {
  it('src/shared/: itself only; no Electron, no Node built-ins, no other src folder', async () => {
    expect(await boundaryHits('src/shared/probe.js', "import { AgentMonitorChannel } from './ipc.js';\nexport { AgentMonitorChannel };\n")).toEqual([]);
    for (const spec of ['node:fs', 'fs', 'node:path', 'electron', '../core/paths.js', '../electron-main/app.js', '../sidecar/schema.js']) {
      const hits = await boundaryHits('src/shared/probe.js', `import x from '${spec}';\nexport default x;\n`);
      expect(hits.length, spec).toBeGreaterThan(0);
    }
    expect(await boundaryHits('src/shared/probe.js', "export const m = () => import('node:os');\n")).toHaveLength(1);
  });

  it('src/shared/dedup.ts may use node:crypto (only the sidecar imports it), nothing else from Node', async () => {
    const file = 'src/shared/dedup.ts';
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    expect(await boundaryHits(file, text)).toEqual([]);
    const hits = await boundaryHits(file, `import { statSync } from 'node:fs';\nexport const s = statSync;\n${text}`);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toContain('no Node built-ins');
    expect(await boundaryHits('src/preload/probe.js', "import { sha16 } from '../shared/dedup.js';\nexport { sha16 };\n")).toHaveLength(1);
  }, 120_000); // a .ts file: typescript-eslint builds the project's type information first

  it('src/core/, src/sidecar/, src/handlers/: no electron, no src/electron-main/', async () => {
    for (const dir of ['core', 'sidecar']) {
      expect(await boundaryHits(`src/${dir}/probe.js`, "import { app } from 'electron';\nexport { app };\n"), dir).toHaveLength(1);
      expect(await boundaryHits(`src/${dir}/probe.js`, "import { x } from '../electron-main/app.js';\nexport { x };\n"), dir).toHaveLength(1);
      expect(await boundaryHits(`src/${dir}/probe.js`, "import fs from 'node:fs';\nexport { fs };\n"), dir).toEqual([]);
    }
    // The handler is a plain script: require() and import() are what it could reach for.
    expect(await boundaryHits('src/handlers/probe.js', "'use strict';\nrequire('electron');\n")).toHaveLength(1);
    expect(await boundaryHits('src/handlers/probe.js', "'use strict';\nimport('../electron-main/app.js');\n")).toHaveLength(1);
    // The sidecar is bundled on its own: no host-side src/core/ either.
    expect(await boundaryHits('src/sidecar/probe.js', "import { x } from '../core/paths.js';\nexport { x };\n")).toHaveLength(1);
    // src/electron-main/ itself may use Electron.
    expect(await boundaryHits('src/electron-main/probe.js', "import { app } from 'electron';\nexport { app };\n")).toEqual([]);
  });

  it('src/dashboard/: from src/sidecar/ types only; no Node, no host-side code', async () => {
    // A real dashboard file (it already imports sidecar types), so typescript-eslint has its types.
    const file = 'src/dashboard/api.ts';
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    expect(text).toContain("import type { NeedsYou } from '../sidecar/attention.js';");
    expect(await boundaryHits(file, text)).toEqual([]);
    for (const line of [
      "import { trackAttention } from '../sidecar/attention.js';",
      "import { type NeedsYou, trackAttention } from '../sidecar/attention.js';",
      "import fs from 'node:fs';",
      "import { x } from '../core/paths.js';",
      "import { sha16 } from '../shared/dedup.js';",
    ]) {
      expect(await boundaryHits(file, `${line}\n${text}`), line).toHaveLength(1);
    }
    expect(await boundaryHits(file, `export const m = () => import('../sidecar/attention.js');\n${text}`)).toHaveLength(1);
  }, 120_000);

  it('test/ does not import benchmarks (shared harness code is in scripts/lib/)', async () => {
    expect(await boundaryHits('test/server/probe.js', "import { x } from '../../scripts/bench/ingest.js';\nexport { x };\n")).toHaveLength(1);
    expect(await boundaryHits('test/server/probe.js', "export const m = () => import('../../scripts/bench/run.js');\n")).toHaveLength(1);
    expect(await boundaryHits('test/server/probe.js', "import { startPatched } from '../../scripts/lib/servers.js';\nexport { startPatched };\n")).toEqual([]);
  });
});
