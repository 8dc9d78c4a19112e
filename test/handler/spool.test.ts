/**
 * The spool round trip: real handler processes spool while the sidecar is down; drainSpool()
 * stores into a real SQLite table (UNIQUE delivery id + INSERT OR IGNORE) when it "comes back".
 */
import Database from 'better-sqlite3';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INFLIGHT_STALE_MS, drainSpool, recoverInflight, spoolStatus, watchSpool } from '../../src/sidecar/spool.js';
import { spawn } from 'node:child_process';
import { IMPLEMENTATIONS, PRE_TOOL_USE, closedPort, deployedDataDir, runHandler, spoolLines, startHungServer, tempDir, writeRuntime } from './helpers.js';


function openDb(dataDir: string) {
  const db = new Database(join(dataDir, 'monitor.db'));
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL UNIQUE,
    hook_type TEXT NOT NULL,
    data TEXT NOT NULL)`);
  const insert = db.prepare('INSERT OR IGNORE INTO events (delivery_id, hook_type, data) VALUES (?, ?, ?)');
  const store = (hookType: string, data: Record<string, unknown>): void => {
    insert.run(String(data.__delivery_id), hookType, JSON.stringify(data));
  };
  const rows = () =>
    db.prepare('SELECT hook_type, data FROM events ORDER BY id').all() as Array<{ hook_type: string; data: string }>;
  return { db, store, rows };
}

function spoolFile(dataDir: string, name = 'events.jsonl'): string {
  return join(dataDir, 'spool', name);
}

function line(hookType: string, data: Record<string, unknown>): string {
  return JSON.stringify({ hook_type: hookType, data, spooled_at: new Date().toISOString() }) + '\n';
}

function writeSpool(dataDir: string, text: string, name = 'events.jsonl'): void {
  mkdirSync(join(dataDir, 'spool'), { recursive: true });
  appendFileSync(spoolFile(dataDir, name), text);
}

describe.each(IMPLEMENTATIONS)('spool round trip with real handler processes, $name', (impl) => {
  it('events spooled while the sidecar is down are stored exactly once, in order, when it comes back', async () => {
    const { dataDir, handler } = deployedDataDir(impl);
    writeRuntime(dataDir, await closedPort());
    const events = [
      ['SessionStart', { session_id: 's1', source: 'startup' }],
      ['UserPromptSubmit', { session_id: 's1', turn_id: 't1', prompt: 'hi' }],
      ['PreToolUse', PRE_TOOL_USE],
      ['PostToolUse', { ...PRE_TOOL_USE, hook_event_name: 'PostToolUse', tool_response: 'ok\n' }],
      ['Stop', { session_id: 's1', turn_id: 't1', stop_hook_active: false }],
    ] as const;
    for (const [name, payload] of events) {
      const r = await runHandler({ handler, args: [name], input: JSON.stringify(payload) });
      expect(r).toMatchObject({ code: 0, signal: null, stdout: '', messages: '' });
    }
    expect(spoolStatus(dataDir).pending).toBe(statSync(spoolFile(dataDir)).size);

    const { db, store, rows } = openDb(dataDir);
    try {
      expect(drainSpool({ dataDir, store })).toEqual({ drained: 5, failed: 0, malformed: 0, quarantined: 0 });
      expect(rows().map((r) => r.hook_type)).toEqual(events.map(([n]) => n));
      for (const [i, r] of rows().entries()) {
        const data = JSON.parse(r.data) as Record<string, unknown>;
        expect(data).toMatchObject({ ...events[i]![1], __provider: 'codex' });
      }
      // Nothing left, a second drain adds nothing.
      expect(existsSync(spoolFile(dataDir))).toBe(false);
      expect(existsSync(spoolFile(dataDir, 'events.jsonl.draining'))).toBe(false);
      expect(drainSpool({ dataDir, store })).toEqual({ drained: 0, failed: 0, malformed: 0, quarantined: 0 });
      expect(rows()).toHaveLength(5);
      expect(spoolStatus(dataDir)).toMatchObject({ pending: 0, dropped: 0, rejected: 0, quarantined: 0 });
    } finally {
      db.close();
    }
  });

  it('re-delivering the same spooled events (crash before delete) stores nothing twice', async () => {
    const { dataDir, handler } = deployedDataDir(impl);
    for (let i = 0; i < 3; i++) await runHandler({ handler, args: ['Stop'], input: JSON.stringify({ turn_id: `t${i}` }) });
    const saved = readFileSync(spoolFile(dataDir));
    const { db, store, rows } = openDb(dataDir);
    try {
      expect(drainSpool({ dataDir, store }).drained).toBe(3);
      // The same lines again, as if a drain had crashed after storing but before deleting.
      writeSpool(dataDir, saved.toString(), 'events.jsonl.draining');
      expect(drainSpool({ dataDir, store }).drained).toBe(3);
      expect(rows().map((r) => (JSON.parse(r.data) as { turn_id: string }).turn_id)).toEqual(['t0', 't1', 't2']);
    } finally {
      db.close();
    }
  });

  it('N concurrent handler processes while down: N whole lines, none interleaved', async () => {
    const { dataDir, handler } = deployedDataDir(impl);
    writeRuntime(dataDir, await closedPort());
    const n = 24;
    const pad = 'z'.repeat(20_000); // big lines make interleaving visible if it happened
    const runs = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        runHandler({ handler, args: ['PostToolUse'], input: JSON.stringify({ i, tool_response: pad }) }),
      ),
    );
    for (const r of runs) expect(r).toMatchObject({ code: 0, signal: null, stdout: '', messages: '' });
    const lines = spoolLines(dataDir); // JSON.parse of every line: throws if any were interleaved
    expect(lines).toHaveLength(n);
    expect(lines.map((l) => l.data.i as number).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    for (const l of lines) expect(l.data.tool_response).toBe(pad);
    const { db, store, rows } = openDb(dataDir);
    try {
      expect(drainSpool({ dataDir, store })).toEqual({ drained: n, failed: 0, malformed: 0, quarantined: 0 });
      expect(rows()).toHaveLength(n);
    } finally {
      db.close();
    }
  });
});

describe('drainSpool', () => {
  it('keeps a malformed line in rejected.jsonl, logs it once with its line number, stores the rest', () => {
    const dataDir = tempDir();
    const bad = '{"hook_type":"Stop","data":{"__deliv';
    writeSpool(
      dataDir,
      line('SessionStart', { __delivery_id: 'a' }) + bad + '\n' + '\n' + '[1,2]\n' + line('Stop', { __delivery_id: 'b' }),
    );
    const logs: string[] = [];
    const { db, store, rows } = openDb(dataDir);
    try {
      expect(drainSpool({ dataDir, store, log: (m) => logs.push(m) })).toEqual({ drained: 2, failed: 0, malformed: 2, quarantined: 0 });
      expect(rows().map((r) => r.hook_type)).toEqual(['SessionStart', 'Stop']);
      expect(readFileSync(spoolFile(dataDir, 'rejected.jsonl'), 'utf8')).toBe(bad + '\n[1,2]\n');
      expect(logs.filter((m) => /line 2\b/.test(m))).toHaveLength(1);
      expect(logs.filter((m) => /line 4\b/.test(m))).toHaveLength(1);
      expect(logs).toHaveLength(2);
      expect(existsSync(spoolFile(dataDir, 'events.jsonl.draining'))).toBe(false);
    } finally {
      db.close();
    }
  });

  it('a truncated last line (writer died mid-line) is rejected, not lost and not blocking', () => {
    const dataDir = tempDir();
    writeSpool(dataDir, line('Stop', { __delivery_id: 'a' }) + '{"hook_type":"Stop","da');
    const { db, store, rows } = openDb(dataDir);
    try {
      expect(drainSpool({ dataDir, store })).toEqual({ drained: 1, failed: 0, malformed: 1, quarantined: 0 });
      expect(rows()).toHaveLength(1);
      expect(readFileSync(spoolFile(dataDir, 'rejected.jsonl'), 'utf8')).toBe('{"hook_type":"Stop","da\n');
    } finally {
      db.close();
    }
  });

  it('store() failing midway keeps the remaining lines; the next drain delivers them, nothing twice', () => {
    const dataDir = tempDir();
    const ids = ['e1', 'e2', 'e3', 'e4', 'e5'];
    writeSpool(dataDir, ids.map((id) => line('Stop', { __delivery_id: id })).join(''));
    const { db, store, rows } = openDb(dataDir);
    try {
      const calls: string[] = [];
      let busy = true;
      const flaky = (t: string, d: Record<string, unknown>): void => {
        calls.push(String(d.__delivery_id));
        if (busy && d.__delivery_id === 'e3') throw new Error('SQLITE_BUSY: database is locked');
        store(t, d);
      };
      const logs: string[] = [];
      expect(drainSpool({ dataDir, store: flaky, log: (m) => logs.push(m) })).toEqual({ drained: 2, failed: 3, malformed: 0, quarantined: 0 });
      expect(logs.join('\n')).toMatch(/SQLITE_BUSY/);
      const kept = readFileSync(spoolFile(dataDir, 'events.jsonl.draining'), 'utf8');
      expect(kept.trim().split('\n').map((l) => (JSON.parse(l) as { data: { __delivery_id: string } }).data.__delivery_id)).toEqual(['e3', 'e4', 'e5']);
      // New events arrive meanwhile; they must come after the kept ones.
      writeSpool(dataDir, line('Stop', { __delivery_id: 'e6' }));
      expect(spoolStatus(dataDir).pending).toBeGreaterThan(0);
      busy = false;
      expect(drainSpool({ dataDir, store: flaky })).toEqual({ drained: 4, failed: 0, malformed: 0, quarantined: 0 });
      expect(calls).toEqual(['e1', 'e2', 'e3', 'e3', 'e4', 'e5', 'e6']);
      expect(rows().map((r) => (JSON.parse(r.data) as { __delivery_id: string }).__delivery_id)).toEqual([...ids, 'e6']);
      expect(spoolStatus(dataDir).pending).toBe(0);
    } finally {
      db.close();
    }
  });

  it('a poison line (store() throws for a reason of its own) is quarantined with the reason and never blocks the lines after it', () => {
    const dataDir = tempDir();
    const ids = ['e1', 'poison', 'e3'];
    writeSpool(dataDir, ids.map((id) => line('Stop', { __delivery_id: id })).join(''));
    const { db, store, rows } = openDb(dataDir);
    try {
      const picky = (t: string, d: Record<string, unknown>): void => {
        if (d.__delivery_id === 'poison') throw new TypeError('Cannot convert object to primitive value');
        store(t, d);
      };
      expect(drainSpool({ dataDir, store: picky })).toEqual({ drained: 2, failed: 0, malformed: 0, quarantined: 1 });
      expect(rows().map((r) => (JSON.parse(r.data) as { __delivery_id: string }).__delivery_id)).toEqual(['e1', 'e3']);
      // Nothing waits behind it: the draining file is gone, later spooled events drain at once.
      expect(existsSync(spoolFile(dataDir, 'events.jsonl.draining'))).toBe(false);
      writeSpool(dataDir, line('Stop', { __delivery_id: 'e4' }));
      expect(drainSpool({ dataDir, store: picky })).toEqual({ drained: 1, failed: 0, malformed: 0, quarantined: 0 });
      const q = readFileSync(spoolFile(dataDir, 'quarantined.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; line: string });
      expect(q).toHaveLength(1);
      expect(q[0]!.reason).toMatch(/TypeError: Cannot convert object/);
      expect((JSON.parse(q[0]!.line) as { data: { __delivery_id: string } }).data.__delivery_id).toBe('poison');
      expect(spoolStatus(dataDir)).toMatchObject({ pending: 0, quarantined: 1 });
    } finally {
      db.close();
    }
  });

  it('a store that is unavailable (disk full) keeps the line instead of quarantining it', () => {
    const dataDir = tempDir();
    writeSpool(dataDir, line('Stop', { __delivery_id: 'e1' }) + line('Stop', { __delivery_id: 'e2' }));
    const full = (): void => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    };
    expect(drainSpool({ dataDir, store: full })).toEqual({ drained: 0, failed: 2, malformed: 0, quarantined: 0 });
    expect(existsSync(spoolFile(dataDir, 'quarantined.jsonl'))).toBe(false);
    expect(spoolStatus(dataDir).pending).toBeGreaterThan(0);
  });

  it('passes the line\'s spooled_at to store()', () => {
    const dataDir = tempDir();
    writeSpool(dataDir, JSON.stringify({ hook_type: 'Stop', data: {}, spooled_at: '2026-11-24T04:00:00.000Z' }) + '\n' + '{"hook_type":"Stop","data":{}}\n');
    const metas: unknown[] = [];
    drainSpool({ dataDir, store: (_t, _d, meta) => void metas.push(meta) });
    expect(metas).toEqual([{ spooledAt: '2026-11-24T04:00:00.000Z' }, { spooledAt: null }]);
  });

  it('a left-over draining file goes before the live spool (order kept)', () => {
    const dataDir = tempDir();
    writeSpool(dataDir, line('Stop', { __delivery_id: 'old' }), 'events.jsonl.draining');
    writeSpool(dataDir, line('Stop', { __delivery_id: 'new' }));
    const seen: string[] = [];
    expect(drainSpool({ dataDir, store: (_t, d) => void seen.push(String(d.__delivery_id)) })).toEqual({
      drained: 2,
      failed: 0,
      malformed: 0,
      quarantined: 0,
    });
    expect(seen).toEqual(['old', 'new']);
  });

  it('a line appended to the draining file during the drain (late writer) is stored too', () => {
    const dataDir = tempDir();
    writeSpool(dataDir, line('Stop', { __delivery_id: 'a' }) + line('Stop', { __delivery_id: 'b' }));
    const seen: string[] = [];
    const store = (_t: string, d: Record<string, unknown>): void => {
      seen.push(String(d.__delivery_id));
      // A handler that opened events.jsonl before the rename appends to the renamed file.
      if (d.__delivery_id === 'a') appendFileSync(spoolFile(dataDir, 'events.jsonl.draining'), line('Stop', { __delivery_id: 'late' }));
    };
    expect(drainSpool({ dataDir, store })).toEqual({ drained: 3, failed: 0, malformed: 0, quarantined: 0 });
    expect(seen).toEqual(['a', 'b', 'late']);
  });

  it('no spool folder: nothing to do', () => {
    const dataDir = tempDir();
    expect(drainSpool({ dataDir, store: () => {} })).toEqual({ drained: 0, failed: 0, malformed: 0, quarantined: 0 });
    expect(spoolStatus(dataDir)).toMatchObject({ pending: 0, dropped: 0, rejected: 0, quarantined: 0 });
  });
});

describe.each(IMPLEMENTATIONS)('spoolStatus and the drop counter, $name', (impl) => {
  it('reports the handlers drop counter after the size cap was hit', async () => {
    const { dataDir, handler } = deployedDataDir(impl);
    const env = { AGENT_MONITOR_SPOOL_MAX_BYTES: '10' }; // nothing fits
    for (let i = 0; i < 2; i++) {
      const r = await runHandler({ handler, args: ['Stop'], input: '{"turn_id":"t"}', env });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
    }
    expect(spoolStatus(dataDir)).toMatchObject({ pending: 0, dropped: 2 });
  });

  it('a garbage dropped.json counts as 0', () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'spool'));
    writeFileSync(join(dataDir, 'spool', 'dropped.json'), 'nope');
    expect(spoolStatus(dataDir).dropped).toBe(0);
  });
});

describe('watchSpool', () => {
  it('drains at start and again when new events are spooled', async () => {
    const { dataDir, handler } = deployedDataDir();
    await runHandler({ handler, args: ['Stop'], input: '{"turn_id":"before"}' });
    const seen: string[] = [];
    let notify: (() => void) | null = null;
    const w = watchSpool({
      dataDir,
      intervalMs: 20,
      store: (_t, d) => {
        seen.push(String(d.turn_id));
        notify?.();
      },
    });
    try {
      expect(seen).toEqual(['before']); // the start drain is synchronous
      const arrived = new Promise<void>((r) => (notify = r));
      await runHandler({ handler, args: ['Stop'], input: '{"turn_id":"after"}' });
      await arrived;
      expect(seen).toEqual(['before', 'after']);
    } finally {
      w.close();
    }
  });
});

describe('watchSpool without a fast poll', () => {
  it('drains a newly spooled event through the folder watch, long before its 30 s safety poll', async () => {
    const { dataDir, handler } = deployedDataDir();
    const seen: string[] = [];
    let notify: (() => void) | null = null;
    const w = watchSpool({
      dataDir,
      store: (_t, d) => {
        seen.push(String(d.turn_id));
        notify?.();
      },
    });
    try {
      expect(seen).toEqual([]);
      const arrived = new Promise<void>((r) => (notify = r));
      await runHandler({ handler, args: ['Stop'], input: '{"turn_id":"watched"}' });
      const late = new Promise<'late'>((r) => setTimeout(() => r('late'), 5_000).unref());
      expect(await Promise.race([arrived.then(() => 'drained' as const), late])).toBe('drained'); // SPOOL_POLL_MS is 30 s
      expect(seen).toEqual(['watched']);
    } finally {
      w.close();
    }
  });
});

describe('write-ahead files of the sh handler (spool/inflight/)', () => {
  const inflight = (dataDir: string): string[] => {
    try {
      return readdirSync(join(dataDir, 'spool', 'inflight'));
    } catch {
      return [];
    }
  };

  it('a delivery killed before it posted leaves its file; recoverInflight stores it exactly once', async () => {
    const { dataDir, handler } = deployedDataDir(IMPLEMENTATIONS[1]);
    const hung = await startHungServer();
    writeRuntime(dataDir, hung.port);
    // Its own process group, so the background delivery can be killed as a crash would.
    const child = spawn('/bin/sh', [handler, 'PreToolUse'], { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, AGENT_MONITOR_HOOK_WAIT_MS: '30000' } });
    child.stdin.end(JSON.stringify(PRE_TOOL_USE));
    await new Promise<void>((r) => child.on('exit', () => r()));
    // The hook has returned; its delivery is still waiting on the hung sidecar.
    const files = inflight(dataDir);
    expect(files).toHaveLength(1);
    while (hung.accepted() === 0) await new Promise((r) => setTimeout(r, 10));
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    expect(inflight(dataDir)).toEqual(files);
    expect(spoolLines(dataDir)).toEqual([]);

    const { db, store, rows } = openDb(dataDir);
    try {
      // Not yet stale: a live delivery may still finish it.
      expect(recoverInflight({ dataDir, store })).toBe(0);
      const later = Date.now() + INFLIGHT_STALE_MS + 1000;
      expect(recoverInflight({ dataDir, store, now: later })).toBe(1);
      expect(inflight(dataDir)).toEqual([]);
      expect(recoverInflight({ dataDir, store, now: later })).toBe(0);
      expect(rows()).toHaveLength(1);
      const data = JSON.parse(rows()[0]!.data) as Record<string, unknown>;
      expect(data).toMatchObject({ ...PRE_TOOL_USE, __provider: 'codex' });
      expect(files[0]).toBe(`${String(data.__delivery_id)}.json`);
    } finally {
      db.close();
    }
  });

  it('a finished delivery removes its file, posted or spooled', async () => {
    const { dataDir, handler } = deployedDataDir(IMPLEMENTATIONS[1]);
    writeRuntime(dataDir, await closedPort());
    await runHandler({ handler, args: ['Stop'], input: '{"turn_id":"t"}' });
    expect(spoolLines(dataDir)).toHaveLength(1);
    expect(inflight(dataDir)).toEqual([]);
  });

  it('recoverInflight: a malformed file goes to rejected.jsonl; a busy store keeps the file', () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'spool', 'inflight'), { recursive: true });
    writeFileSync(join(dataDir, 'spool', 'inflight', 'a.json'), '{"hook_type":"Stop","data":{"__delivery_id":"a"}}');
    writeFileSync(join(dataDir, 'spool', 'inflight', 'b.json'), 'not json');
    const now = Date.now() + INFLIGHT_STALE_MS + 1000;
    const busy = (): void => {
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    };
    expect(recoverInflight({ dataDir, store: busy, now })).toBe(0);
    expect(existsSync(join(dataDir, 'spool', 'inflight', 'a.json'))).toBe(true);
    const seen: string[] = [];
    const totals = { drained: 0, failed: 0, malformed: 0, quarantined: 0 };
    recoverInflight({ dataDir, store: (_t, d, meta) => { seen.push(String(d.__delivery_id)); expect(meta.spooledAt).toMatch(/Z$/); }, now }, totals);
    expect(seen).toEqual(['a']);
    expect(totals).toMatchObject({ drained: 1, malformed: 1 });
    expect(readdirSync(join(dataDir, 'spool', 'inflight'))).toEqual([]);
    expect(readFileSync(join(dataDir, 'spool', 'rejected.jsonl'), 'utf8')).toBe('not json\n');
  });
});
