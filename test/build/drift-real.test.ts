/**
 * Drift against the REAL patches: hypothetical next upstream releases (test/fixtures/upstream-next/)
 * applied to a temp copy of the real vendored snapshot, whose UPSTREAM.json is re-pinned the way a
 * release ships it, so the snapshot gate passes and the patch gates decide.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAgentMonitor, repoRoot } from '../../scripts/build-agent-monitor.js';
import { runCheckUpstream } from '../../scripts/check-upstream.js';
import { allPatches } from '../../patches/index.js';
import type { CheckRow } from '../../src/patcher/index.js';
import { allowOutOfRepoBuilds, copyUpstream, listTree, normalise, regenerateManifest, tempDir } from './helpers.js';

allowOutOfRepoBuilds();

interface NextRelease {
  description: string;
  version: string;
  expect: CheckRow['status'];
  edits: Array<{ file: string; find: string; replace: string; all?: boolean }>;
}

const fixturesDir = path.join(repoRoot, 'test', 'fixtures', 'upstream-next');

function loadRelease(name: string): NextRelease {
  return JSON.parse(fs.readFileSync(path.join(fixturesDir, `${name}.json`), 'utf8')) as NextRelease;
}

/** A temp copy of the real upstream with the release's edits applied and UPSTREAM.json re-pinned. */
function materializeRelease(name: string): { upstream: string; release: NextRelease } {
  const release = loadRelease(name);
  const upstream = copyUpstream();
  for (const e of release.edits) {
    const file = path.join(upstream, e.file);
    const text = fs.readFileSync(file, 'utf8');
    const count = text.split(e.find).length - 1;
    if (e.all ? count < 1 : count !== 1) throw new Error(`fixture ${name}: "${e.find}" occurs ${count} times in ${e.file}`);
    fs.writeFileSync(file, e.all ? text.split(e.find).join(e.replace) : text.replace(e.find, () => e.replace));
  }
  regenerateManifest(upstream, release.version);
  return { upstream, release };
}

/** Builds into a fresh outDir; for failures also checks that neither outDir nor a stage dir appeared. */
async function buildRelease(upstream: string): Promise<{ ok: boolean; report: string; outDir: string; parent: string }> {
  const parent = tempDir();
  const outDir = path.join(parent, 'agent-monitor');
  const res = await buildAgentMonitor({ upstreamDir: upstream, outDir, force: true, quiet: true });
  return { ok: res.ok, report: normalise(res.report, { '<upstream>': upstream }), outDir, parent };
}

/**
 * The check-upstream table without the rows that apply (those list every patch's anchor hash and
 * change whenever a patch is added or re-pinned); the failing rows and the header are the message.
 */
function failingRows(table: string, upstream: string): string {
  return normalise(table, { '<upstream>': upstream })
    .split('\n')
    .filter((line, i) => i === 0 || (line.trim() !== '' && !/\s+applies\s+/.test(line) && !/ patch(es)? apply\.$/.test(line)))
    .map((line) => line.replace(/ {2,}/g, '  ')) // column widths follow the longest patch id
    .join('\n');
}

const rowFor = (rows: CheckRow[], id: string): CheckRow => {
  const row = rows.find((r) => r.id === id);
  if (!row) throw new Error(`no check-upstream row for ${id}`);
  return row;
};

describe('drift against the real patches', () => {
  it('(a) a release that changes only comments and whitespace inside the anchor builds', async () => {
    const { upstream } = materializeRelease('comments-only');
    // The edit really is inside the anchor's text.
    const hooks = fs.readFileSync(path.join(upstream, 'server', 'routes', 'hooks.js'), 'utf8');
    const anchorStart = hooks.indexOf('const processEvent = db.transaction(');
    expect(hooks.indexOf('summed from the Claude transcript')).toBeGreaterThan(anchorStart);

    const res = await buildRelease(upstream);
    expect(res.report).toBe(`${allPatches.length} patches applied`);
    expect(res.ok).toBe(true);
    const built = JSON.parse(fs.readFileSync(path.join(res.outDir, 'BUILD.json'), 'utf8')) as { upstream: { version: string } };
    expect(built.upstream.version).toBe('1.4.3');
    // The patch is applied in the new snapshot: no transcript read left inside processEventCore.
    const out = fs.readFileSync(path.join(res.outDir, 'server', 'routes', 'hooks.js'), 'utf8');
    expect(out).toContain('function processEventCore(hookType, data, transcriptData) /* host-patch:transcript-outside-tx */');
    expect(out).toContain('const usage   =   transcriptData;   // may be null');

    const check = await runCheckUpstream({ upstreamDir: upstream });
    expect(check.exitCode).toBe(0);
    expect(check.rows).toHaveLength(allPatches.length);
    for (const row of check.rows) expect(row.status, row.id).toBe('applies');
    expect(check.table).toContain(`${allPatches.length} of ${allPatches.length} patches apply.`);
  });

  it('(b) a release that changes the anchor logic fails the build with a drift report naming patch, file:line and the diff; nothing written', async () => {
    const { upstream } = materializeRelease('logic-changed');
    const res = await buildRelease(upstream);
    expect(res.ok).toBe(false);
    expect(fs.existsSync(res.outDir)).toBe(false);
    expect(fs.readdirSync(res.parent)).toEqual([]);

    const hooks = fs.readFileSync(path.join(upstream, 'server', 'routes', 'hooks.js'), 'utf8');
    const line = hooks.slice(0, hooks.indexOf('const processEvent = db.transaction(')).split('\n').length;
    expect(res.report).toContain('transcript-outside-tx');
    expect(res.report).toContain(`server/routes/hooks.js:${line}`);
    expect(res.report).toMatch(/-\s+status: nextStatus,/);
    expect(res.report).toMatch(/\+\s+status: nextStatus === 'waiting' \? 'idle' : nextStatus,/);
    expect(res.report).toContain(allPatches.find((p) => p.id === 'transcript-outside-tx')!.anchorSha256);
    expect(res.report).toContain('npm run repin -- transcript-outside-tx --upstream <upstream>');
    expect(res.report).toContain('Nothing was written.');
    expect(res.report).toMatchSnapshot();

    const check = await runCheckUpstream({ upstreamDir: upstream });
    expect(check.exitCode).toBe(1);
    expect(rowFor(check.rows, 'transcript-outside-tx')).toMatchObject({ file: 'server/routes/hooks.js', status: 'drifted' });
    expect(failingRows(check.table, upstream)).toMatchSnapshot();
    expect(check.table).toContain(`${check.rows.filter((r) => r.status === 'applies').length} of ${allPatches.length} patches apply.`);
  });

  it('(c) a release that renames processEvent fails: anchor missing; nothing written', async () => {
    const { upstream } = materializeRelease('anchor-renamed');
    const res = await buildRelease(upstream);
    expect(res.ok).toBe(false);
    expect(fs.existsSync(res.outDir)).toBe(false);
    expect(fs.readdirSync(res.parent)).toEqual([]);
    expect(res.report).toContain('transcript-outside-tx');
    expect(res.report).toContain('server/routes/hooks.js');
    expect(res.report).toContain('upstream no longer has the anchor');
    expect(res.report).toContain('0 matches, expected 1');
    expect(res.report).toMatchSnapshot();

    const check = await runCheckUpstream({ upstreamDir: upstream });
    expect(check.exitCode).toBe(1);
    expect(rowFor(check.rows, 'transcript-outside-tx')).toMatchObject({ file: 'server/routes/hooks.js', status: 'anchor missing' });
    expect(failingRows(check.table, upstream)).toMatchSnapshot();
    expect(check.table).toContain(`${check.rows.filter((r) => r.status === 'applies').length} of ${allPatches.length} patches apply.`);
  });

  it('every fixture says what the transcript-outside-tx row must be, and the real snapshot applies cleanly', async () => {
    for (const f of listTree(fixturesDir).filter((x) => x.endsWith('.json'))) {
      const name = f.replace(/\.json$/, '');
      const { upstream, release } = materializeRelease(name);
      const check = await runCheckUpstream({ upstreamDir: upstream });
      expect(rowFor(check.rows, 'transcript-outside-tx').status, name).toBe(release.expect);
    }
    const real = await runCheckUpstream({ upstreamDir: path.join(repoRoot, 'vendor', 'agent-monitor') });
    expect(real.exitCode).toBe(0);
  });
});
