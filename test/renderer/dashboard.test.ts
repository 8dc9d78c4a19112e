// The materialized dashboard in real headless Chromium: sessions with harness and source badges,
// the harness filter, the timeline with one row per event, and live updates over SSE.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postHook, startPatched, type RunningServer } from '../../scripts/lib/servers.js';
import { launchChromium } from '../helpers/browser.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts');

describe('dashboard page in Chromium', () => {
  let dir: string;
  let sidecar: RunningServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'am-dashboard-'));
    sidecar = await startPatched({ dir });
    ({ browser } = await launchChromium());
    page = await browser.newPage({ viewport: { width: 1200, height: 720 } });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await sidecar?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('shows Claude and Codex sessions with badges, filters by harness, and updates live', async () => {
    const claude = { session_id: 'claude-s1', cwd: '/work/demo', __delivery_id: 'd-1' };
    await postHook(sidecar, 'SessionStart', { ...claude, source: 'startup' });
    await postHook(sidecar, 'PreToolUse', { ...claude, tool_name: 'Bash', tool_use_id: 'toolu_1', tool_input: { command: 'npm test' } });

    await page.goto(`${sidecar.url}/`);
    await page.waitForSelector('#conn.live');
    await page.waitForSelector('.session-card');
    expect(await page.locator('.session-card').count()).toBe(1);
    expect(await page.locator('.session-card .harness').innerText()).toBe('Claude');

    // A Codex session arrives while the page is open: it appears without a reload, badged Codex.
    const codex = { session_id: 'codex-s1', cwd: '/work/demo', turn_id: 't1', __provider: 'codex', __delivery_id: 'd-2' };
    await postHook(sidecar, 'SessionStart', { ...codex, source: 'startup', model: 'gpt-5-codex' });
    await postHook(sidecar, 'PreToolUse', { ...codex, tool_name: 'Bash', tool_use_id: 'call_1', tool_input: { command: 'cargo test' }, __delivery_id: 'd-3' });
    await page.waitForFunction(() => document.querySelectorAll('.session-card').length === 2);
    const badges = await page.locator('.session-card .harness').allInnerTexts();
    expect(badges.sort()).toEqual(['Claude', 'Codex']);
    // Live frames keep where each session was seen (the row shape of GET /api/sessions).
    await page.waitForFunction(() => document.querySelectorAll('.session-card .source').length === 2);
    expect(await page.locator('.session-card .source').allInnerTexts()).toEqual(['hook', 'hook']);

    // Filter: Codex only.
    await page.selectOption('#harness-filter', 'codex');
    expect(await page.locator('.session-card').count()).toBe(1);
    await page.locator('.session-card').first().click();
    await page.waitForFunction(() => document.querySelectorAll('.event').length === 2);
    const rows = await page.locator('.event').allInnerTexts();
    expect(rows[1]).toContain('PreToolUse · Bash');
    expect(await page.locator('.event .source').allInnerTexts()).toEqual(['hook', 'hook']);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-codex-filter.png') });

    // A duplicate delivery changes nothing on screen; a new event appears live.
    await postHook(sidecar, 'PreToolUse', { ...codex, tool_name: 'Bash', tool_use_id: 'call_1', tool_input: { command: 'cargo test' }, __delivery_id: 'd-3' });
    await postHook(sidecar, 'PostToolUse', { ...codex, tool_name: 'Bash', tool_use_id: 'call_1', tool_response: 'ok', __delivery_id: 'd-4' });
    await page.waitForFunction(() => document.querySelectorAll('.event').length === 3);
    expect(await page.locator('.event').count()).toBe(3);

    await page.selectOption('#harness-filter', '');
    expect(await page.locator('.session-card').count()).toBe(2);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png') });
  }, 60_000);
});
