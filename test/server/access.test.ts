/**
 * Who can read what: the data folder is 0700 and every file in it 0600 (monitor.db, -wal, -shm,
 * settings.json, the spool…), also on an install that predates the rule; the dashboard is sent
 * with a Content-Security-Policy that forbids framing by other origins.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { postHook, startPatched, tempDir, track } from './helpers.js';

function mode(p: string): string {
  return (fs.statSync(p).mode & 0o777).toString(8);
}

describe('private data folder', () => {
  it('a fresh install: folder 0700, monitor.db / -wal / -shm / runtime.json 0600', async () => {
    const dir = path.join(tempDir(), 'data');
    const server = track(await startPatched({ dir }));
    await postHook(server, 'Stop', { session_id: 'perm-1' });
    expect(mode(dir)).toBe('700');
    for (const f of ['monitor.db', 'monitor.db-wal', 'monitor.db-shm', 'runtime.json']) expect(`${f} ${mode(path.join(dir, f))}`).toBe(`${f} 600`);
  });

  it('an existing install with 0644 files in a 0755 folder is tightened on start', async () => {
    const dir = path.join(tempDir(), 'data');
    let server = await startPatched({ dir });
    await postHook(server, 'Stop', { session_id: 'perm-2' });
    await server.stop();
    fs.writeFileSync(path.join(dir, 'settings.json'), '{}');
    fs.mkdirSync(path.join(dir, 'spool'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'spool', 'rejected.jsonl'), 'x\n');
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(path.join(dir, 'spool'), 0o755);
    for (const f of ['monitor.db', 'settings.json', 'spool/rejected.jsonl']) fs.chmodSync(path.join(dir, f), 0o644);
    server = track(await startPatched({ dir }));
    await postHook(server, 'Stop', { session_id: 'perm-3' });
    expect(mode(dir)).toBe('700');
    expect(mode(path.join(dir, 'spool'))).toBe('700');
    for (const f of ['monitor.db', 'monitor.db-wal', 'monitor.db-shm', 'settings.json', 'spool/rejected.jsonl']) {
      expect(`${f} ${mode(path.join(dir, f))}`).toBe(`${f} 600`);
    }
  });
});

describe('dashboard headers', () => {
  it('the page and its assets carry a CSP with frame-ancestors; the API needs none', async () => {
    const server = track(await startPatched({ dir: tempDir() }));
    for (const p of ['/', '/app.js', '/host.css']) {
      const res = await fetch(`http://127.0.0.1:${server.port}${p}`);
      expect(res.status, p).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, p).toMatch(/frame-ancestors 'self' file:/);
      expect(csp, p).toMatch(/script-src 'self'/);
    }
  });
});
