/**
 * src/handlers/host-delivery.cjs is one module shared by both hook handlers: the Codex handler
 * (in place and as the built copy) and the upstream Claude handler as patches/handler-delivery.ts
 * rewrites it. These tests run the patched Claude handler for real, and the module on its own.
 */
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allPatches } from '../../patches/index.js';
import { repoRoot } from '../../scripts/build-agent-monitor.js';
import { deliveryModulePath, inlineDelivery, withDelivery } from '../../patches/lib/inline-delivery.js';
import { applyPatches, formatFailures } from '../../src/patcher/index.js';
import { TOKEN, closedPort, runHandler, spoolLines, startCaptureServer, tempDir, writeRuntime } from './helpers.js';

/** The Claude handler as the build materializes it, installed into `<dataDir>/hooks/`. */
function installedClaudeHandler(): { dataDir: string; handler: string } {
  const result = applyPatches({ upstreamDir: path.join(repoRoot, 'vendor', 'agent-monitor'), patches: allPatches, patchesDir: path.join(repoRoot, 'patches') });
  if (!result.ok) throw new Error(formatFailures(result.failures));
  const dataDir = tempDir();
  mkdirSync(path.join(dataDir, 'hooks'));
  const handler = path.join(dataDir, 'hooks', 'hook-handler.js');
  writeFileSync(handler, result.files.get('scripts/hook-handler.js')!);
  return { dataDir, handler };
}

type CreateDelivery = (o: { builtin: (name: string) => unknown; label: string }) => {
  dataDir: (scriptPath: string, fallback?: string) => string;
  readRuntime: (dir: string) => { port: number; token: string } | null;
  spool: (dir: string, hookType: string, data: unknown) => void;
  uuidV4: () => string;
  isoNow: () => string;
};

describe('the shared delivery module', () => {
  const create = createRequire(import.meta.url)(deliveryModulePath) as CreateDelivery;
  const delivery = create({ builtin: createRequire(import.meta.url), label: 'test' });

  it('is inlined verbatim into the Claude handler and the built Codex handler (one implementation)', () => {
    const claude = installedClaudeHandler();
    const inlined = inlineDelivery();
    expect(readFileSync(claude.handler, 'utf8')).toContain(inlined);
    const codex = withDelivery(readFileSync(path.join(repoRoot, 'src', 'handlers', 'codex-hook-handler.js'), 'utf8'));
    expect(codex.endsWith(inlined)).toBe(true);
    // Deterministic: the same inputs give the same bytes.
    expect(withDelivery('x')).toBe(withDelivery('x'));
  });

  it('dataDir: env, else above hooks/, else the fallback', () => {
    const saved = process.env.AGENT_MONITOR_DATA_DIR;
    delete process.env.AGENT_MONITOR_DATA_DIR;
    try {
      expect(delivery.dataDir('/d/hooks/h.js')).toBe('/d');
      expect(delivery.dataDir('/x/scripts/h.js', '/fallback')).toBe('/fallback');
      process.env.AGENT_MONITOR_DATA_DIR = '/env';
      expect(delivery.dataDir('/d/hooks/h.js')).toBe('/env');
    } finally {
      if (saved === undefined) delete process.env.AGENT_MONITOR_DATA_DIR;
      else process.env.AGENT_MONITOR_DATA_DIR = saved;
    }
  });

  it('readRuntime accepts a live sidecar and rejects malformed files; spool appends 0600 lines', () => {
    const dir = tempDir();
    expect(delivery.readRuntime(dir)).toBeNull();
    writeRuntime(dir, 4321);
    expect(delivery.readRuntime(dir)).toEqual({ port: 4321, token: TOKEN });
    writeFileSync(path.join(dir, 'runtime.json'), '{"port": "x"}');
    expect(delivery.readRuntime(dir)).toBeNull();
    delivery.spool(dir, 'Stop', { a: 1 });
    delivery.spool(dir, 'Stop', { a: 2 });
    expect(spoolLines(dir).map((l) => l.data.a)).toEqual([1, 2]);
    expect(statSync(path.join(dir, 'spool', 'events.jsonl')).mode & 0o777).toBe(0o600);
    expect(delivery.isoNow()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('the patched Claude handler delivers through it', () => {
  it('sidecar up: posts with the Bearer token', async () => {
    const { dataDir, handler } = installedClaudeHandler();
    const server = await startCaptureServer();
    writeRuntime(dataDir, server.port);
    const r = await runHandler({ handler, args: ['Stop'], input: '{"session_id":"s1"}', env: {} });
    expect(r.code).toBe(0);
    expect(server.posts.map((p) => [p.hook_type, p.data.session_id])).toEqual([['Stop', 's1']]);
    expect(server.unauthorized).toBe(0);
    expect(spoolLines(dataDir)).toEqual([]);
  });

  it('sidecar down: the event lands in the same spool the Codex handler writes', async () => {
    const { dataDir, handler } = installedClaudeHandler();
    writeRuntime(dataDir, await closedPort());
    const r = await runHandler({ handler, args: ['Stop'], input: '{"session_id":"s2"}', env: {} });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(spoolLines(dataDir).map((l) => [l.hook_type, l.data.session_id])).toEqual([['Stop', 's2']]);
  });

  it('a non-2xx reply (wrong token) is not stored: the event is spooled', async () => {
    const { dataDir, handler } = installedClaudeHandler();
    const server = await startCaptureServer();
    writeRuntime(dataDir, server.port, 'b2'.repeat(32));
    const r = await runHandler({ handler, args: ['Stop'], input: '{"session_id":"s3"}', env: {} });
    expect(r.code).toBe(0);
    expect(server.unauthorized).toBe(1);
    expect(spoolLines(dataDir).map((l) => l.data.session_id)).toEqual(['s3']);
  });
});
