/**
 * The materializing build: byte-identical output across builds, skip when unchanged (files not
 * touched), rebuild when an output was tampered with, BUILD.json contents, and the UPSTREAM.json
 * gate rejecting a snapshot edited in place with nothing written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAgentMonitor } from '../../scripts/build-agent-monitor.js';
import { allPatches } from '../../patches/index.js';
import { allowOutOfRepoBuilds, copyUpstream, listTree, normalise, sha256, tempDir, vendorDir } from './helpers.js';

allowOutOfRepoBuilds();

interface BuildJson {
  upstream: { name: string; version: string };
  inputHash: string;
  patches: Array<{ id: string; file: string; anchorSha256: string }>;
  outputs: Record<string, string>;
}

const readBuildJson = (outDir: string): BuildJson => JSON.parse(fs.readFileSync(path.join(outDir, 'BUILD.json'), 'utf8')) as BuildJson;

describe('build-agent-monitor', () => {
  let outA: string;
  let outB: string;

  beforeAll(async () => {
    outA = path.join(tempDir(), 'agent-monitor');
    outB = path.join(tempDir(), 'agent-monitor');
    const a = await buildAgentMonitor({ outDir: outA, force: true, quiet: true });
    expect(a.report).not.toMatch(/failed/);
    expect(a).toMatchObject({ ok: true, skipped: false, outDir: outA });
    const b = await buildAgentMonitor({ outDir: outB, force: true, quiet: true });
    expect(b).toMatchObject({ ok: true, skipped: false, outDir: outB });
  });

  it('two forced builds into two folders produce byte-identical trees, BUILD.json included', () => {
    const filesA = listTree(outA);
    const filesB = listTree(outB);
    expect(filesA).toEqual(filesB);
    expect(filesA).toContain('BUILD.json');
    expect(filesA).toContain('server/index.js');
    expect(filesA).toContain('server/host/addons.cjs');
    for (const f of filesA) {
      const bytesA = fs.readFileSync(path.join(outA, f));
      const bytesB = fs.readFileSync(path.join(outB, f));
      expect(bytesA.equals(bytesB), `${f} differs between the two builds`).toBe(true);
      expect(fs.statSync(path.join(outA, f)).mode).toBe(fs.statSync(path.join(outB, f)).mode);
    }
    // The temp outDir's location leaks nowhere into the output.
    for (const f of filesA) expect(fs.readFileSync(path.join(outA, f), 'utf8')).not.toContain(path.dirname(outA));
  });

  it('BUILD.json lists the upstream version, every patch with its anchor hash, and the output hashes', () => {
    const bj = readBuildJson(outA);
    const manifest = JSON.parse(fs.readFileSync(path.join(vendorDir, 'UPSTREAM.json'), 'utf8')) as { name: string; version: string };
    expect(bj.upstream).toEqual({ name: manifest.name, version: manifest.version });
    expect(bj.inputHash).toMatch(/^[0-9a-f]{64}$/);

    expect(bj.patches.map((p) => p.id).sort()).toEqual(allPatches.map((p) => p.id).sort());
    for (const spec of allPatches) {
      const entry = bj.patches.find((p) => p.id === spec.id)!;
      expect(entry, spec.id).toEqual({ id: spec.id, file: spec.file, anchorSha256: spec.anchorSha256 });
    }
    // transcript-outside-tx comes before harness-stamp (its `after`).
    const ids = bj.patches.map((p) => p.id);
    expect(ids.indexOf('transcript-outside-tx')).toBeLessThan(ids.indexOf('harness-stamp'));

    // Every output file except BUILD.json itself is listed with its real hash, and nothing else is.
    const files = listTree(outA).filter((f) => f !== 'BUILD.json');
    expect(Object.keys(bj.outputs).sort()).toEqual(files);
    for (const f of files) expect(bj.outputs[f], f).toBe(sha256(fs.readFileSync(path.join(outA, f))));
  });

  it('an unchanged input set skips the build and touches no file', async () => {
    const before = new Map(listTree(outA).map((f) => [f, fs.statSync(path.join(outA, f)).mtimeMs]));
    const dirIno = fs.statSync(outA).ino;
    const again = await buildAgentMonitor({ outDir: outA, quiet: true });
    expect(again).toMatchObject({ ok: true, skipped: true, outDir: outA });
    expect(fs.statSync(outA).ino).toBe(dirIno); // not swapped for a new folder
    const after = new Map(listTree(outA).map((f) => [f, fs.statSync(path.join(outA, f)).mtimeMs]));
    expect(after).toEqual(before);
  });

  it('a tampered output file makes the next build rebuild and restore it', async () => {
    const target = path.join(outB, 'server', 'routes', 'hooks.js');
    const original = fs.readFileSync(target);
    fs.appendFileSync(target, '\n// tampered\n');
    const res = await buildAgentMonitor({ outDir: outB, quiet: true });
    expect(res).toMatchObject({ ok: true, skipped: false });
    expect(fs.readFileSync(target).equals(original)).toBe(true);
    // ...and the rebuilt tree is again identical to the other build.
    for (const f of listTree(outA)) expect(fs.readFileSync(path.join(outB, f)).equals(fs.readFileSync(path.join(outA, f))), f).toBe(true);

    // A deleted output file counts as tampering too.
    fs.rmSync(path.join(outB, 'public', 'app.js'));
    const res2 = await buildAgentMonitor({ outDir: outB, quiet: true });
    expect(res2).toMatchObject({ ok: true, skipped: false });
    expect(fs.existsSync(path.join(outB, 'public', 'app.js'))).toBe(true);
  });

  it('a vendored snapshot edited in place is rejected by the UPSTREAM.json gate, nothing written', async () => {
    const upstream = copyUpstream();
    const file = path.join(upstream, 'server', 'lib', 'transcript.js');
    const bytes = fs.readFileSync(file);
    const i = bytes.indexOf('sums the token usage');
    expect(i).toBeGreaterThan(0);
    bytes[i] = 'S'.charCodeAt(0); // one byte, inside a comment
    fs.writeFileSync(file, bytes);

    const parent = tempDir();
    const outDir = path.join(parent, 'agent-monitor');
    const res = await buildAgentMonitor({ upstreamDir: upstream, outDir, force: true, quiet: true });
    expect(res.ok).toBe(false);
    expect(res.skipped).toBe(false);
    const report = normalise(res.report, { '<upstream>': upstream });
    expect(report).toContain('does not match its UPSTREAM.json');
    expect(report).toContain('server/lib/transcript.js: content differs from the sha256 pinned in UPSTREAM.json');
    expect(report).toContain('Nothing was written');
    expect(report).toMatchInlineSnapshot(`
      "[monitor-build] the vendored upstream in <upstream> does not match its UPSTREAM.json
        server/lib/transcript.js: content differs from the sha256 pinned in UPSTREAM.json
      The snapshot is never edited in place: put the change in a patch under patches/. Nothing was written."
    `);
    expect(fs.existsSync(outDir)).toBe(false);
    expect(fs.readdirSync(parent)).toEqual([]);

    // An existing build in that outDir is left exactly as it was.
    const good = await buildAgentMonitor({ outDir, force: true, quiet: true });
    expect(good.ok).toBe(true);
    const before = new Map(listTree(outDir).map((f) => [f, sha256(fs.readFileSync(path.join(outDir, f)))]));
    const rejected = await buildAgentMonitor({ upstreamDir: upstream, outDir, force: true, quiet: true });
    expect(rejected.ok).toBe(false);
    expect(new Map(listTree(outDir).map((f) => [f, sha256(fs.readFileSync(path.join(outDir, f)))]))).toEqual(before);
    expect(fs.readdirSync(parent)).toEqual(['agent-monitor']);
  });

  it('an extra file in the snapshot that UPSTREAM.json does not list is rejected too', async () => {
    const upstream = copyUpstream();
    fs.writeFileSync(path.join(upstream, 'server', 'lib', 'extra.js'), "'use strict';\n");
    const outDir = path.join(tempDir(), 'agent-monitor');
    const res = await buildAgentMonitor({ upstreamDir: upstream, outDir, force: true, quiet: true });
    expect(res.ok).toBe(false);
    expect(res.report).toContain('server/lib/extra.js: not listed in UPSTREAM.json');
    expect(fs.existsSync(outDir)).toBe(false);
  });
});
