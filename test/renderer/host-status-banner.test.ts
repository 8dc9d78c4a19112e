// What the sidecar could not keep is shown on the dashboard, not only counted: the data-loss
// banner (src/sidecar/host/public/host-status.js) in real headless Chromium against a real patched
// sidecar whose data dir records dropped and quarantined spool events, and the framing policy that
// lets only the host's own page embed the dashboard; and the line for a failing team sync / OTLP
// export (a sidecar pointed at a closed loopback port), absent while they are off.
import fs from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium } from '../../scripts/lib/browser.js';
import Database from 'better-sqlite3';
import { postHook, startPatched, type RunningServer } from '../../scripts/lib/servers.js';
import { startPostgres, TEST_PG_PASSWORD, type TestPostgres } from '../../scripts/lib/postgres.js';
import { waitFor } from '../helpers/wait.js';
import { tempDir } from '../helpers/temp.js';

describe('data-loss banner in Chromium', () => {
  let sidecar: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    const dir = tempDir('am-banner-');
    // As the handlers leave them: three events dropped at the spool cap.
    fs.mkdirSync(path.join(dir, 'spool'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'spool', 'dropped.json'), JSON.stringify({ dropped: 3, lastDroppedAt: new Date().toISOString() }), { mode: 0o600 });
    sidecar = await startPatched({ dir });
    ({ browser } = await launchChromium());
  });

  afterAll(async () => {
    await browser?.close();
    await sidecar?.stop();
  });

  test('the dashboard says how many events were dropped, and the status API agrees', async () => {
    const status = await sidecar.get<{ spool: { dropped: number } }>('/api/host/status');
    expect(status.spool.dropped).toBe(3);
    const page = await browser.newPage();
    try {
      await page.goto(`${sidecar.url}/`);
      const banner = page.locator('#host-status-banner');
      await banner.waitFor({ state: 'visible', timeout: 15_000 });
      expect(await banner.textContent()).toContain('3 event(s) dropped by the hook handlers');
    } finally {
      await page.close();
    }
  });

  test('healthy or off team sync / OTLP export adds nothing to the banner', async () => {
    const status = await sidecar.get<{ team_sync: { state: string }; otlp: { state: string } }>('/api/host/status');
    expect(status.team_sync.state).toBe('off');
    expect(status.otlp.state).toBe('off');
    const page = await browser.newPage();
    try {
      await page.goto(`${sidecar.url}/`);
      const banner = page.locator('#host-status-banner');
      await banner.waitFor({ state: 'visible', timeout: 15_000 });
      expect(await banner.textContent()).not.toMatch(/Team sync|OTLP/);
    } finally {
      await page.close();
    }
  });

  test('a page from another origin cannot frame the dashboard (frame-ancestors)', async () => {
    const res = await fetch(`${sidecar.url}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/frame-ancestors [^;]*'self'/);
    expect(csp).not.toMatch(/frame-ancestors [^;]*\*/);

    // A real cross-origin embedder: a second loopback server whose page frames the dashboard.
    const { createServer } = await import('node:http');
    const other = createServer((_req, out) => {
      out.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><iframe id="f" src="${sidecar.url}/"></iframe>`);
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const addr = other.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const page = await browser.newPage();
    try {
      const blocked = new Promise<boolean>((resolve) => {
        page.on('console', (m) => {
          if (/frame-ancestors|Refused to frame/i.test(m.text())) resolve(true);
        });
        setTimeout(() => resolve(false), 10_000);
      });
      await page.goto(`http://localhost:${port}/`);
      expect(await blocked).toBe(true);
      // The framed document never got the dashboard: no session list inside the frame.
      const frame = page.frames().find((f) => f !== page.mainFrame());
      const hasList = frame ? await frame.locator('#session-list').count().catch(() => 0) : 0;
      expect(hasList).toBe(0);
    } finally {
      await page.close();
      await new Promise<void>((r) => other.close(() => r()));
    }
  });
});

describe('team sync / OTLP export banner in Chromium', () => {
  let sidecar: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    // Both pointed at a loopback port nothing listens on; the URLs carry passwords.
    const probe = createNetServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    sidecar = await startPatched({
      dir: tempDir('am-banner-team-'),
      env: {
        AGENT_MONITOR_TEAM_DB_URL: `postgres://pusher:Pu5h-S3cret@127.0.0.1:${port}/agents?sslmode=disable`,
        AGENT_MONITOR_OTLP_ENDPOINT: `http://exporter:0tlp-S3cret@127.0.0.1:${port}`,
        // The OTLP client retries a refused connection inside one request until this timeout.
        AGENT_MONITOR_OTLP_TIMEOUT_MS: '2000',
      },
    });
    // Rows to push and export: the OTLP export only tries when something waits.
    for (const hook of ['SessionStart', 'UserPromptSubmit', 'Stop']) {
      expect((await postHook(sidecar, hook, { session_id: 'banner-team-1' })).status).toBe(200);
    }
    ({ browser } = await launchChromium());
  });

  afterAll(async () => {
    await browser?.close();
    await sidecar?.stop();
  });

  test('says since when each is failing, why, and how much waits; never the passwords', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${sidecar.url}/`);
      const banner = page.locator('#host-status-banner');
      await expect.poll(async () => (await banner.isVisible()) && (await banner.textContent()), { timeout: 45_000 }).toMatch(/OTLP export: failing/);
      const text = (await banner.textContent()) ?? '';
      expect(text).toMatch(/Team sync: failing since \d\d:\d\d(?: [AP]M)? \(connect ECONNREFUSED 127\.0\.0\.1:\d+\) · [1-9][\d,]* waiting/);
      expect(text).toMatch(/OTLP export: failing since \d\d:\d\d(?: [AP]M)? \([^)]+\) · [1-9][\d,]* waiting/);
      expect(text).not.toContain('refused by the team PostgreSQL'); // nothing refused: no line for it
      expect(await banner.getAttribute('data-level')).toBe('error');
      expect(text).not.toMatch(/S3cret/);
      const status = await sidecar.get<{ team_sync: { state: string; failing_since: string | null }; otlp: { state: string; failing_since: string | null } }>('/api/host/status');
      expect(status.team_sync).toMatchObject({ state: 'offline', failing_since: expect.any(String) });
      expect(status.otlp).toMatchObject({ state: 'retrying', failing_since: expect.any(String) });
      expect(JSON.stringify(status)).not.toMatch(/S3cret/);
    } finally {
      await page.close();
    }
  }, 60_000);
});

describe('rows the team PostgreSQL refused, in the banner (real PostgreSQL)', () => {
  let pgServer: TestPostgres;
  let sidecar: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    pgServer = await startPostgres();
    sidecar = await startPatched({
      dir: tempDir('am-banner-refused-'),
      env: { AGENT_MONITOR_TEAM_DB_URL: pgServer.url(), AGENT_MONITOR_TEAM_PUSH_INTERVAL_MS: '150', AGENT_MONITOR_TEAM_BACKOFF_MAX_MS: '400' },
    });
    ({ browser } = await launchChromium());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await sidecar?.stop();
    await pgServer?.destroy();
  });

  test('a row outside PostgreSQL\'s range is skipped, counted, and shown; sync itself is healthy so no failing line', async () => {
    const sid = '66666666-6666-4666-8666-666666666666';
    expect((await postHook(sidecar, 'SessionStart', { session_id: sid })).status).toBe(200);
    // A time past PostgreSQL's range: the server refuses the row (SQLSTATE class 22).
    const local = new Database(sidecar.dbPath);
    local
      .prepare(`INSERT INTO events (session_id, hook_type, tool_name, summary, data, created_at, source, seen_by, dedup_key)
                VALUES (?, 'PostToolUse', 'Bash', 'far future', '{}', '+275760-09-13T00:00:00.000Z', 'hook', 'hook', 'post:far-future')`)
      .run(sid);
    local.close();
    expect((await postHook(sidecar, 'Stop', { session_id: sid })).status).toBe(200);
    await waitFor(
      'the refused row counted, the rest pushed',
      async () => {
        const t = (await sidecar.get<{ team_sync: { state: string; pending: number; skipped: number } }>('/api/host/status')).team_sync;
        return t.skipped === 1 && t.state === 'idle' && t.pending === 0;
      },
      60_000,
      200,
    );
    const page = await browser.newPage();
    try {
      await page.goto(`${sidecar.url}/`);
      const banner = page.locator('#host-status-banner');
      await banner.waitFor({ state: 'visible', timeout: 15_000 });
      const text = (await banner.textContent()) ?? '';
      expect(text).toContain('1 row(s) refused by the team PostgreSQL (skipped; see the sidecar log)');
      expect(text).not.toContain('Team sync: failing');
      expect(text).not.toContain(TEST_PG_PASSWORD);
    } finally {
      await page.close();
    }
  }, 90_000);
});
