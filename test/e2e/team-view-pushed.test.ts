// The whole chain, pusher to page: three real sidecars with their own data dirs get hook events
// and push them to one real PostgreSQL (team sync, src/sidecar/team/pusher.ts); a fourth sidecar
// that only reads (AGENT_MONITOR_TEAM_VIEW_URL: a login in agent_monitor_reader, created after
// the first push made the role) serves the dashboard, and its Team mode in real Chromium shows
// the three machines' sessions with their event counts, the machine filter narrows them, and a
// timeline says that text was not shared (the default). Also: one pushing sidecar reading
// through the fallback (its push URL, read-only transactions) sees the same.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postHook, startPatched, type RunningServer } from '../../scripts/lib/servers.js';
import { startPostgres, type TestPostgres } from '../../scripts/lib/postgres.js';
import { createReaderLogin } from '../../scripts/lib/team-seed.js';
import { launchChromium } from '../../scripts/lib/browser.js';
import type { TeamSessionPage, TeamStatus } from '../../src/sidecar/team/view-routes.js';
import { onCleanup, tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const MACHINES = ['alpha', 'beta', 'gamma'] as const;
const EVENTS_PER_SESSION = 5;

describe('team view of what three sidecars pushed', () => {
  let pgServer: TestPostgres;
  const pushers = new Map<string, RunningServer>();
  let viewer: RunningServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    pgServer = await startPostgres();
    for (const name of MACHINES) {
      const server = await startPatched({
        dir: tempDir(`am-tv-${name}-`),
        env: { AGENT_MONITOR_TEAM_DB_URL: pgServer.url(), AGENT_MONITOR_MACHINE_NAME: name, AGENT_MONITOR_PERSON: `person-${name}`, AGENT_MONITOR_TEAM_PUSH_INTERVAL_MS: '150' },
      });
      onCleanup(() => server.stop());
      pushers.set(name, server);
      const sid = `sess-${name}`;
      const base = { session_id: sid, cwd: `/home/${name}/project` };
      let n = 0;
      const post = async (hook: string, data: Record<string, unknown>): Promise<void> => {
        const r = await postHook(server, hook, { ...base, ...data, __delivery_id: `${name}-${++n}` });
        expect(r.status).toBe(200);
      };
      await post('SessionStart', { source: 'startup', model: 'claude-sonnet-4-5' });
      await post('UserPromptSubmit', { prompt: `secret prompt of ${name}` });
      await post('PreToolUse', { tool_name: 'Bash', tool_use_id: `toolu_${name}`, tool_input: { command: `make ${name}` } });
      await post('PostToolUse', { tool_name: 'Bash', tool_use_id: `toolu_${name}`, tool_input: { command: `make ${name}` }, tool_response: { stdout: 'ok' } });
      await post('Stop', { last_assistant_message: `done on ${name}` });
    }
    // Every machine pushed everything (events in PostgreSQL, nothing pending).
    const admin = await pgServer.connect();
    try {
      await waitFor(
        'three machines pushed',
        async () => {
          const r = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM am_events').catch(() => null);
          return r?.rows[0]?.n === MACHINES.length * EVENTS_PER_SESSION;
        },
        60_000,
        200,
      );
      await createReaderLogin(admin, 'e2e_viewer', 'e2e-viewer-Pw-4');
    } finally {
      await admin.end();
    }
    viewer = await startPatched({ dir: tempDir('am-tv-viewer-'), env: { AGENT_MONITOR_TEAM_VIEW_URL: pgServer.url().replace(/\/\/[^@]+@/, '//e2e_viewer:e2e-viewer-Pw-4@') } });
    onCleanup(() => viewer.stop());
    ({ browser } = await launchChromium());
    page = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of pushers.values()) await s.stop();
    await viewer?.stop();
    await pgServer?.destroy();
  });

  test('the viewer reads with its reader login and sees three machines', async () => {
    const status = await viewer.get<TeamStatus>('/api/team/status');
    expect(status).toMatchObject({ configured: true, source: 'view-url', reachable: true, machines: 3, textShared: false });
    const page1 = await viewer.get<TeamSessionPage>('/api/team/sessions');
    expect(page1.sessions.map((s) => [s.machine_name, s.person, s.event_count, s.harness]).sort()).toEqual([
      ['alpha', 'person-alpha', EVENTS_PER_SESSION, 'claude'],
      ['beta', 'person-beta', EVENTS_PER_SESSION, 'claude'],
      ['gamma', 'person-gamma', EVENTS_PER_SESSION, 'claude'],
    ]);
    // Text stays on each machine by default.
    expect(page1.sessions.every((s) => s.name === null)).toBe(true);
  });

  test('a pushing sidecar reads the same through the fallback (its push URL, read-only)', async () => {
    const status = await pushers.get('beta')!.get<TeamStatus>('/api/team/status');
    expect(status).toMatchObject({ configured: true, source: 'push-url-read-only', reachable: true, machines: 3 });
    const list = await pushers.get('beta')!.get<TeamSessionPage>('/api/team/sessions?machine=' + encodeURIComponent((await viewer.get<TeamSessionPage>('/api/team/sessions')).sessions.find((s) => s.machine_name === 'gamma')!.machine_id));
    expect(list.sessions.map((s) => s.id)).toEqual(['sess-gamma']);
  });

  test('Team mode in Chromium: three machines, the machine filter, and a timeline without shared text', async () => {
    await page.goto(`${viewer.url}/`);
    await page.locator('button.mode[data-mode="team"]').click();
    await page.waitForFunction(() => document.querySelectorAll('.team-session').length === 3);
    expect((await page.locator('.team-session .team-machine').allInnerTexts()).sort()).toEqual(['alpha', 'beta', 'gamma']);
    expect(await page.locator('.team-session td.num').first().innerText()).toBe(String(EVENTS_PER_SESSION));

    const betaId = await page.locator('.team-session', { hasText: 'beta' }).getAttribute('data-machine');
    await page.locator('.team-filters select[name="machine"]').selectOption(betaId);
    await page.waitForFunction(() => document.querySelectorAll('.team-session').length === 1);
    expect(await page.locator('.team-session .team-machine').innerText()).toBe('beta');

    await page.locator('.team-session').click();
    await page.locator('.team-detail .team-notice').waitFor();
    expect(await page.locator('.team-event').count()).toBe(EVENTS_PER_SESSION);
    expect(await page.locator('.team-event .team-tool').allInnerTexts()).toEqual(['Bash', 'Bash']);
    expect(await page.locator('.team-detail').innerText()).not.toContain('secret prompt');
  });
});
