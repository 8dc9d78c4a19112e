/**
 * docs/upgrading.md, executed: the release it describes (test/fixtures/upgrade/release-1.5.0.json
 * applied to a copy of the vendored snapshot), the commands it shows run as a shell runs them, their
 * output compared with the doc's `doc-test` blocks, the spec changes it shows
 * (test/fixtures/upgrade/patch-edits.json) applied to a copy of patches/, and the build it ends
 * with. Hashes are masked in the comparison: re-pinning any patch must not make the doc stale, a
 * different table must.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAgentMonitor, repoRoot } from '../../scripts/build-agent-monitor.js';
import { pinUpstream } from '../../scripts/pin-upstream.js';
import { loadPatchList } from '../../src/patcher/index.js';
import { allowOutOfRepoBuilds, copyUpstream, tempDir } from './helpers.js';

allowOutOfRepoBuilds();

const DOC = fs.readFileSync(path.join(repoRoot, 'docs', 'upgrading.md'), 'utf8');
const SHOWN_RELEASE = '/tmp/agent-monitor-1.5.0';

interface Edit {
  file: string;
  find: string;
  replace: string;
  all?: boolean;
}

function applyEdits(root: string, edits: readonly Edit[]): void {
  for (const e of edits) {
    const file = path.join(root, e.file);
    const text = fs.readFileSync(file, 'utf8');
    const count = text.split(e.find).length - 1;
    if (e.all ? count < 1 : count !== 1) throw new Error(`"${e.find}" occurs ${count} times in ${e.file}`);
    fs.writeFileSync(file, e.all ? text.split(e.find).join(e.replace) : text.replace(e.find, () => e.replace));
  }
}

const fixture = (name: string): { edits: Edit[] } =>
  JSON.parse(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'upgrade', name), 'utf8')) as { edits: Edit[] };

/** The fenced block after `<!-- doc-test:<name> -->`. */
function docBlock(name: string): string {
  const m = new RegExp(`<!-- doc-test:${name} -->\\n\`\`\`text\\n([\\s\\S]*?)\\n\`\`\``).exec(DOC);
  if (!m) throw new Error(`docs/upgrading.md has no doc-test:${name} block`);
  return m[1]!;
}

const maskHashes = (text: string): string => text.replace(/[0-9a-f]{64}/g, '<sha256>').replace(/[0-9a-f]{12}…/g, '<sha>…');

describe('docs/upgrading.md walkthrough', () => {
  it('check-upstream → narrow pin + locator fix → re-pin → check-upstream → green build, as the doc shows', async () => {
    const release = path.join(tempDir('am-upgrade-'), 'agent-monitor-1.5.0');
    fs.renameSync(copyUpstream(), release);
    applyEdits(release, fixture('release-1.5.0.json').edits);

    // A copy of patches/ whose relative imports (../src, bare packages) still resolve.
    const work = tempDir('am-upgrade-patches-');
    const patchesDir = path.join(work, 'patches');
    fs.cpSync(path.join(repoRoot, 'patches'), patchesDir, { recursive: true });
    fs.symlinkSync(path.join(repoRoot, 'src'), path.join(work, 'src'));
    fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(work, 'node_modules'));

    /** Runs a command line from the doc (with our copy of patches/) the way a shell in the repo does. */
    const run = (line: string): { status: number | null; out: string } => {
      const cmd = `${line.split(SHOWN_RELEASE).join(release)} --patches ${patchesDir}`;
      const r = spawnSync('sh', ['-c', cmd], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'silent' } });
      const shown = (r.stdout + r.stderr)
        .split(` --patches ${patchesDir}`).join('')
        .split(`${patchesDir}/`).join('patches/')
        .split(release).join(SHOWN_RELEASE)
        .replace(/^> .*\n/gm, '')
        .replace(/^\n+/, '');
      return { status: r.status, out: shown.trimEnd() };
    };
    const shCommands = [...DOC.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.trim().split('\n'));
    const check = shCommands.find((c) => c.startsWith('npm run check-upstream -- '))!;
    expect(check).toBe(`npm run check-upstream -- ${SHOWN_RELEASE}`);

    // 1. Before: the table and the failure details.
    const before = run(check);
    expect(before.status).toBe(1);
    const [table, ...rest] = before.out.split('\n\n[monitor-build]');
    expect(maskHashes(table!)).toBe(maskHashes(docBlock('before-table')));
    expect(maskHashes(`[monitor-build]${rest.join('\n\n[monitor-build]')}`)).toBe(maskHashes(docBlock('before-details')));

    // 2 + 3. The spec changes the doc shows, then the re-pin commands it shows (which the failures printed).
    const specEdits = fixture('patch-edits.json').edits;
    for (const e of specEdits) {
      // Every line the change adds is shown in the doc.
      for (const line of e.replace.split('\n').filter((l) => l.trim() && !e.find.includes(l))) expect(DOC).toContain(line);
    }
    applyEdits(patchesDir, specEdits);
    const repins = shCommands.filter((c) => c.startsWith('npm run repin -- '));
    expect(repins).toEqual([
      `npm run repin -- transcript-outside-tx --upstream ${SHOWN_RELEASE}`,
      `npm run repin -- hook-post-host --upstream ${SHOWN_RELEASE}`,
    ]);
    for (const line of repins) {
      expect(before.out).toContain(line);
      const r = run(line);
      expect(r.status, r.out).toBe(0);
      expect(r.out).toContain('re-pinned');
    }

    // 4. After.
    const after = run(check);
    expect(after.status, after.out).toBe(0);
    expect(maskHashes(after.out)).toBe(maskHashes(docBlock('after-table')));

    // 5. pin-upstream + build (in-process: this process has not loaded the patch copy before).
    pinUpstream(release, '1.5.0');
    const outDir = path.join(tempDir('am-upgrade-out-'), 'agent-monitor');
    const patches = await loadPatchList(patchesDir);
    const built = await buildAgentMonitor({ upstreamDir: release, patchesDir, patches, outDir, force: true, quiet: true });
    expect(built.report).toBe(`${patches.length} patches applied`);
    expect(built.ok).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(outDir, 'BUILD.json'), 'utf8')).upstream).toEqual({ name: 'agent-monitor', version: '1.5.0' });
  }, 180_000);
});
