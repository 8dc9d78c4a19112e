// The dashboard's Team mode in real headless Chromium against a real patched sidecar that reads a
// real PostgreSQL (scripts/lib/postgres.ts) through a reader login: three machines' sessions in
// one list with a machine column, the machine filter narrowing list and totals, the totals' exact
// figures per machine and per person, the daily chart drawn, a timeline with and without shared
// text, search, and "This machine" unchanged after switching back. A sidecar without a team
// database says so in Team mode.
// UPDATE_SCREENSHOTS=1 writes docs/screenshots/team-view.png (else test-artifacts/).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrateTeamSchema } from '../../src/sidecar/team/pg-schema.js';
import { postHook, startPatched, type RunningServer } from '../../scripts/lib/servers.js';
import { startPostgres, type TestPostgres } from '../../scripts/lib/postgres.js';
import { createReaderLogin, seedTeamDemo } from '../../scripts/lib/team-seed.js';
import { launchChromium } from '../../scripts/lib/browser.js';
import { tempDir } from '../helpers/temp.js';

const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(process.cwd(), 'docs', 'screenshots') : join(process.cwd(), 'test-artifacts');

describe('team view in Chromium', () => {
  let pgServer: TestPostgres;
  let admin: pg.Client;
  let sidecar: RunningServer;
  let lonely: RunningServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    pgServer = await startPostgres();
    admin = await pgServer.connect();
    await migrateTeamSchema(admin, { appliedBy: 'test' });
    await seedTeamDemo(admin);
    await createReaderLogin(admin, 'dash_viewer', 'dash-viewer-Pw-2');
    const viewUrl = pgServer.url().replace(/\/\/[^@]+@/, '//dash_viewer:dash-viewer-Pw-2@');
    sidecar = await startPatched({ dir: tempDir('am-team-view-'), env: { AGENT_MONITOR_TEAM_VIEW_URL: viewUrl } });
    lonely = await startPatched({ dir: tempDir('am-team-off-') });
    // One session of this machine, to prove "This machine" is untouched by the team mode.
    const r = await postHook(sidecar, 'SessionStart', { session_id: 'local-only', cwd: '/home/me/local-project', source: 'startup', model: 'claude-sonnet-4-5', __delivery_id: 'team-local-1' });
    expect(r.status).toBe(200);
    ({ browser } = await launchChromium());
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    page = await context.newPage();
    mkdirSync(SHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await sidecar?.stop();
    await lonely?.stop();
    await admin?.end();
    await pgServer?.destroy();
  });

  const totals = (key: string) => page.locator(`.team-totals tbody tr[data-key="${key}"]`);

  test('Team shows the sessions of all three machines with a machine column, and exact totals per machine', async () => {
    await page.goto(`${sidecar.url}/`);
    await page.locator('.card[data-id="local-only"]').waitFor();
    expect(await page.locator('#team-root').isHidden()).toBe(true);
    await page.locator('button.mode[data-mode="team"]').click();
    await page.waitForFunction(() => document.querySelectorAll('.team-session').length === 5);
    expect(await page.locator('.shell').isHidden()).toBe(true);
    const machines = await page.locator('.team-session .team-machine').allInnerTexts();
    expect([...new Set(machines)].sort()).toEqual(['alice-devbox', 'alice-laptop', 'ci-runner-7']);
    expect(await page.locator('.team-sessions-table thead th').first().innerText()).toBe('Machine');
    expect(await page.locator('.team-status').innerText()).toContain('3 machines in the team database');

    await totals('m-devbox').waitFor();
    expect(await totals('m-laptop').getAttribute('data-total-tokens')).toBe('69900');
    expect(await totals('m-devbox').getAttribute('data-total-tokens')).toBe('107000');
    expect(await totals('m-ci').getAttribute('data-total-tokens')).toBe('41100');
    expect(await totals('m-devbox').getAttribute('data-cost')).toBe('0.592500');
    const laptopCells = await totals('m-laptop').locator('th, td').allInnerTexts();
    // Machine, sessions, messages, input, output, cache read, cache write, total, cost.
    expect(laptopCells).toEqual(['alice-laptop', '2', '3', '6,000', '1,900', '57,000', '5,000', '69,900', '$0.079']);
    expect(await totals('m-ci').locator('td').last().innerText()).toBe('$0.030 + unpriced');
    expect(await page.locator('.team-totals tfoot tr').getAttribute('data-total-tokens')).toBe('218000');
    // The daily chart is drawn (uPlot canvas) with one series per agent + model.
    await page.locator('.team-daily canvas').first().waitFor();
    expect(await page.locator('.team-daily .u-legend .u-series').count()).toBe(5); // x + 4 agent/model series


  });

  test('the machine filter narrows the list and the totals', async () => {
    await page.locator('.team-filters select[name="machine"]').selectOption('m-ci');
    await page.waitForFunction(() => {
      const rows = Array.from(document.querySelectorAll<HTMLElement>('.team-session'));
      return rows.length === 2 && rows.every((r) => r.dataset.machine === 'm-ci');
    });
    await page.waitForFunction(() => document.querySelectorAll('.team-totals tbody tr').length === 1);
    expect(await totals('m-ci').getAttribute('data-total-tokens')).toBe('41100');
    expect(await page.locator('.team-totals tfoot tr').getAttribute('data-total-tokens')).toBe('41100');
    await page.locator('.team-filters select[name="machine"]').selectOption('');
    await page.waitForFunction(() => document.querySelectorAll('.team-session').length === 5);
  });

  test('totals per person', async () => {
    await page.locator('.team-tab[data-by="person"]').click();
    await page.locator('.team-totals table[data-by="person"]').waitFor();
    expect(await totals('alice').getAttribute('data-total-tokens')).toBe('176900');
    expect(await totals('ci-bot').getAttribute('data-total-tokens')).toBe('41100');
    expect(await totals('alice').locator('td').nth(6).innerText()).toBe('176,900');
  });

  test('a timeline says when text was not shared, and shows it where it was', async () => {
    await page.locator('.team-session[data-id="sess-devbox-claude"]').click();
    await page.locator('.team-detail .team-notice').waitFor();
    expect(await page.locator('.team-detail .team-notice').innerText()).toContain('Text was not shared');
    expect(await page.locator('.team-event').count()).toBe(7);
    expect(await page.locator('.team-detail-machine').innerText()).toContain('alice-devbox');

    await page.locator('.team-session[data-id="sess-laptop-claude"]').click();
    await page.waitForFunction(() => document.querySelector('.team-detail-machine')?.textContent?.includes('alice-laptop'));
    expect(await page.locator('.team-event .team-summary').allInnerTexts()).toContain('Bash: npm test -- checkout');
    expect(await page.locator('.team-event.failed').count()).toBe(1);
    // The team view scrolls inside its own pane: a tall window shows all of it in the picture.
    await page.setViewportSize({ width: 1440, height: 1400 });
    await page.locator('.team-tab[data-by="machine"]').click();
    await page.locator('.team-totals table[data-by="machine"]').waitFor();
    await page.screenshot({ path: join(SHOTS, 'team-view.png') });
    await page.setViewportSize({ width: 1440, height: 1000 });
  });

  test('search finds shared text on the machine that shared it', async () => {
    await page.locator('.team-search').fill('rounding');
    await page.locator('.team-search').press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('.team-detail .hit-row').length === 2);
    expect(await page.locator('.team-detail .team-hit-machine').allInnerTexts()).toEqual(['alice-laptop', 'alice-laptop']);
    expect(await page.locator('.team-detail .hit-row mark').first().innerText()).toBe('rounding');
  });

  test('switching back shows this machine as it was', async () => {
    await page.locator('button.mode[data-mode="local"]').click();
    expect(await page.locator('#team-root').isHidden()).toBe(true);
    await page.locator('.card[data-id="local-only"]').waitFor();
    expect(await page.locator('.shell').isVisible()).toBe(true);
    expect(await page.locator('.card').count()).toBe(1);
    expect(await page.locator('.top .search').isVisible()).toBe(true);
  });

  test('a sidecar without a team database says so in Team mode', async () => {
    const p = await browser.newPage();
    try {
      await p.goto(`${lonely.url}/`);
      await p.locator('button.mode[data-mode="team"]').click();
      await p.locator('.team-status .team-problem').waitFor();
      expect(await p.locator('.team-status').innerText()).toContain('Team view is off');
      expect(await p.locator('.team-problem').getAttribute('data-code')).toBe('team_not_configured');
      expect(await p.locator('.team-sessions').isVisible()).toBe(false);
    } finally {
      await p.close();
    }
  });
});
