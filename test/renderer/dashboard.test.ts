// The materialized dashboard (src/dashboard/, loaded by the dashboard-entry patch) in real
// headless Chromium against a real patched sidecar: a 5,000-event session opens at its newest
// event and pages back to the first; live events append without a reload; the session that needs
// you comes first with its pending command and the count in the title; search finds a command
// typed in a prompt and opens its row; the expanded row shows a tool's full output; export
// downloads Markdown with the prompt and the command; filters and keyboard navigation.
// UPDATE_SCREENSHOTS=1 writes the screenshots to docs/screenshots/ (else test-artifacts/).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postHook, startPatched, type RunningServer } from '../../scripts/lib/servers.js';
import { openDb, seedSession } from '../../scripts/lib/seed.js';
import { launchChromium } from '../../scripts/lib/browser.js';
import { tempDir } from '../helpers/temp.js';

const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(process.cwd(), 'docs', 'screenshots') : join(process.cwd(), 'test-artifacts');

let delivery = 0;
function post(sidecar: RunningServer, hookType: string, data: Record<string, unknown>): Promise<unknown> {
  return postHook(sidecar, hookType, { ...data, __delivery_id: `dash-${++delivery}` }).then((r) => {
    if (r.status !== 200) throw new Error(`${hookType}: HTTP ${r.status} ${r.body}`);
    return r;
  });
}

const LONG_OUTPUT = Array.from({ length: 120 }, (_, i) => `test ${i + 1} passed`).join('\n') + '\nfinal line: 120 passed, 0 failed';

/** A few realistic sessions through the hook route (what the screenshots show). */
async function seedDemo(sidecar: RunningServer): Promise<void> {
  const app = { session_id: 'claude-app', cwd: '/home/dev/src/shop-api', transcript_path: null };
  await post(sidecar, 'SessionStart', { ...app, source: 'startup', model: 'claude-sonnet-4-5' });
  await post(sidecar, 'UserPromptSubmit', { ...app, prompt: 'The checkout tests fail since the refactor. Run `npm test -- checkout` and fix what breaks.' });
  await post(sidecar, 'PreToolUse', { ...app, tool_name: 'Bash', tool_use_id: 'toolu_t1', tool_input: { command: 'npm test -- checkout', description: 'Run the checkout tests' } });
  await post(sidecar, 'PostToolUse', { ...app, tool_name: 'Bash', tool_use_id: 'toolu_t1', tool_input: { command: 'npm test -- checkout' }, tool_response: { stdout: LONG_OUTPUT, stderr: '', interrupted: false } });
  await post(sidecar, 'PreToolUse', { ...app, tool_name: 'Edit', tool_use_id: 'toolu_e1', tool_input: { file_path: '/home/dev/src/shop-api/src/cart.ts', old_string: 'return total * rate;', new_string: 'return Math.round(total * rate * 100) / 100;' } });
  await post(sidecar, 'PostToolUse', { ...app, tool_name: 'Edit', tool_use_id: 'toolu_e1', tool_input: { file_path: '/home/dev/src/shop-api/src/cart.ts' }, tool_response: { filePath: '/home/dev/src/shop-api/src/cart.ts' } });
  await post(sidecar, 'PreToolUse', { ...app, tool_name: 'Bash', tool_use_id: 'toolu_t2', tool_input: { command: 'npm run lint' } });
  await post(sidecar, 'PostToolUseFailure', { ...app, tool_name: 'Bash', tool_use_id: 'toolu_t2', tool_input: { command: 'npm run lint' }, error: 'Command failed with exit code 1: 3 lint errors' });
  await post(sidecar, 'Stop', { ...app, stop_hook_active: false, last_assistant_message: 'Fixed the rounding in `cart.ts`; the checkout tests pass. Lint still reports 3 errors in files I did not touch.' });

  const codex = { session_id: 'codex-docs', cwd: '/home/dev/src/docs-site', __provider: 'codex', turn_id: 'turn-1' };
  await post(sidecar, 'SessionStart', { ...codex, source: 'startup', model: 'gpt-5-codex' });
  await post(sidecar, 'UserPromptSubmit', { ...codex, prompt: 'Update the install guide for Node 22.' });
  await post(sidecar, 'PreToolUse', { ...codex, tool_name: 'apply_patch', tool_use_id: 'call_p1', tool_input: { command: '*** Begin Patch\n*** Update File: docs/install.md\n@@\n-Node 20 or newer\n+Node 22.12 or newer\n*** End Patch' } });
  await post(sidecar, 'PostToolUse', { ...codex, tool_name: 'apply_patch', tool_use_id: 'call_p1', tool_input: { command: '…' }, tool_response: 'Success. Updated the following files:\nM docs/install.md' });
  await post(sidecar, 'PreToolUse', { ...codex, tool_name: 'Bash', tool_use_id: 'call_b1', tool_input: { command: 'rm -rf build/ && npm run build' } });
  await post(sidecar, 'PermissionRequest', { ...codex, tool_name: 'Bash', tool_input: { command: 'rm -rf build/ && npm run build', description: 'Clean and rebuild' } });
}

describe('dashboard page in Chromium', () => {
  let sidecar: RunningServer;
  let browser: Browser;
  let page: Page;
  /** Responses of 400 and up the page got (its own requests, the icon included). */
  const failedRequests: string[] = [];
  /** The browser's own requests for the tab's icon, if it makes any. */
  const iconRequests: string[] = [];

  beforeAll(async () => {
    const dir = tempDir('am-dashboard-');
    sidecar = await startPatched({ dir });
    // 2,500 calls = 5,000 events, written straight into the database; then one "spooled" event
    // stored last but dated near the start, which the timeline must show in time order.
    const db = openDb(sidecar.dbPath);
    const start = new Date(Date.now() - 3 * 3600_000);
    seedSession(db, { sessionId: 'long-session', cwd: '/home/dev/src/monorepo', calls: 2500, start, command: (i) => `make step-${i}`, output: (i) => `step-${i} done` });
    const spooledAt = new Date(start.getTime() + 1500).toISOString();
    const data = { session_id: 'long-session', prompt: 'late spooled prompt', __spooled_at: spooledAt };
    db.prepare(`INSERT INTO events (session_id, hook_type, summary, data, created_at, source, seen_by, dedup_key) VALUES ('long-session', 'UserPromptSubmit', 'late spooled prompt', ?, ?, 'hook', 'hook', 'delivery:spooled-1')`).run(JSON.stringify(data), spooledAt);
    db.close();
    await seedDemo(sidecar);
    ({ browser } = await launchChromium());
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('response', (r) => {
      const line = `${r.status()} ${new URL(r.url()).pathname}`;
      if (r.status() >= 400) failedRequests.push(line);
      if (/\/favicon\./.test(line)) iconRequests.push(line);
    });
    mkdirSync(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await sidecar?.stop();
  });

  test('the session that needs you comes first, with the pending command and the count in the title', async () => {
    await page.goto(`${sidecar.url}/`);
    await page.waitForSelector('.conn.live');
    const first = page.locator('.cards.needs .card').first();
    await first.waitFor();
    expect(await first.getAttribute('data-id')).toBe('codex-docs');
    expect(await first.locator('.needs-detail').innerText()).toBe('Bash: rm -rf build/ && npm run build');
    await page.waitForFunction(() => document.title === '(1) Agent Monitor');
    // The tab's icon is the page's own and loads, so no browser asks for a /favicon.ico (a 404).
    // Whether and when a browser fetches the icon varies (the registry's headless shell does not),
    // so the page's link is checked and fetched, and any icon request the browser made is checked.
    const icon = page.locator('link[rel="icon"]');
    expect(await icon.count()).toBe(1);
    expect(await icon.getAttribute('href')).toBe('/favicon.svg');
    const served = await page.evaluate(async (href) => {
      const r = await fetch(href);
      return `${r.status} ${r.headers.get('content-type')} ${(await r.text()).startsWith('<svg')}`;
    }, (await icon.getAttribute('href'))!);
    expect(served).toBe('200 image/svg+xml true');
    expect(iconRequests.filter((r) => r !== '200 /favicon.svg')).toEqual([]);
    expect(failedRequests).toEqual([]);
    // It is opened first, with the banner naming what is pending.
    await page.waitForSelector('.s-needs:not([hidden]) .needs-detail');
    expect(await page.locator('.s-needs .needs-detail').innerText()).toContain('rm -rf build/');
    await page.screenshot({ path: join(SHOTS, 'dashboard.png') });

    // Answering clears it live: the call ran (PostToolUse of the same turn and tool).
    await post(sidecar, 'PostToolUse', { session_id: 'codex-docs', cwd: '/home/dev/src/docs-site', __provider: 'codex', turn_id: 'turn-1', tool_name: 'Bash', tool_use_id: 'call_b1', tool_input: { command: 'rm -rf build/ && npm run build' }, tool_response: 'Process exited with code 0' });
    await page.waitForFunction(() => document.title === 'Agent Monitor' && document.querySelectorAll('.cards.needs .card').length === 0);
    expect(await page.locator('.s-needs').isHidden()).toBe(true);
  }, 60_000);

  test('a 5,000-event session opens at its newest event and pages back to the first', async () => {
    await page.goto(`${sidecar.url}/#session=long-session`);
    await page.waitForSelector('.tl-item');
    const lastRow = page.locator('.tl-item').last();
    expect(await lastRow.innerText()).toContain('make step-2499');
    const firstShown = await page.locator('.tl-item').first().innerText();
    expect(firstShown).not.toContain('make step-0\n');
    // Scroll up until the start of the session.
    await page.evaluate(() => (window as unknown as { __noReload: boolean }).__noReload = true);
    for (let i = 0; i < 60; i++) {
      if (await page.locator('.tl-top .edge-end').count()) break;
      const shown = await page.locator('.tl-item').count();
      await page.evaluate(() => document.querySelector('.tl-scroll')!.scrollTo(0, 0));
      await page.waitForFunction((n) => document.querySelectorAll('.tl-item').length > n || document.querySelector('.tl-top .edge-end') !== null, shown, { timeout: 20_000 });
    }
    expect(await page.locator('.tl-top .edge-end').innerText()).toBe('Start of the session');
    // 2,500 paired tool rows plus the spooled prompt, in time order.
    expect(await page.locator('.tl-item.tl-tool').count()).toBe(2500);
    const texts = await page.locator('.tl-item').evaluateAll((els) => els.slice(0, 3).map((e) => (e.querySelector('.tl-summary, .tl-text') as HTMLElement).innerText));
    expect(texts).toEqual(['make step-0', 'late spooled prompt', 'make step-1']);
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  }, 180_000);

  test('a live event appears without a reload, paired with its call', async () => {
    await page.goto(`${sidecar.url}/#session=claude-app`);
    await page.waitForSelector('.tl-item');
    await page.evaluate(() => (window as unknown as { __noReload: boolean }).__noReload = true);
    const before = await page.locator('.tl-item').count();
    const app = { session_id: 'claude-app', cwd: '/home/dev/src/shop-api' };
    await post(sidecar, 'PreToolUse', { ...app, tool_name: 'Bash', tool_use_id: 'toolu_live', tool_input: { command: 'echo live-event-42' } });
    await page.waitForFunction((n) => document.querySelectorAll('.tl-item').length === n + 1, before);
    const row = page.locator('.tl-item', { hasText: 'echo live-event-42' });
    expect(await row.locator('.tl-icon').getAttribute('data-status')).toBe('running');
    await post(sidecar, 'PostToolUse', { ...app, tool_name: 'Bash', tool_use_id: 'toolu_live', tool_input: { command: 'echo live-event-42' }, tool_response: { stdout: 'live-event-42', stderr: '' } });
    await page.waitForFunction(() => document.querySelector('.tl-item[data-key="call:toolu_live"] .tl-icon')?.getAttribute('data-status') === 'ok');
    expect(await page.locator('.tl-item').count()).toBe(before + 1);
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    // A failed call stands out.
    const failed = page.locator('.tl-item.tl-failed', { hasText: 'npm run lint' });
    expect(await failed.locator('.tl-failure').innerText()).toContain('exit code 1');
  }, 60_000);

  test('search finds a command typed in a prompt and opens its row with the full output', async () => {
    await page.goto(`${sidecar.url}/`);
    await page.waitForSelector('.card');
    await page.keyboard.press('/');
    await page.keyboard.type('npm test -- checkout');
    await page.waitForSelector('.hit-row');
    const hits = page.locator('.hit-row');
    const types = await hits.locator('.hit-type').allInnerTexts();
    expect(types).toContain('UserPromptSubmit');
    expect(types).toContain('PreToolUse · Bash');
    expect(await hits.first().locator('mark').first().innerText()).toMatch(/npm|test|checkout/);
    await page.screenshot({ path: join(SHOTS, 'dashboard-search.png') });
    await hits.filter({ hasText: 'PreToolUse · Bash' }).first().click();
    const row = page.locator('.tl-item.hit');
    await row.waitFor();
    await row.locator('.tl-body .tl-fold').waitFor();
    expect(await row.locator('.tl-cmd').innerText()).toBe('npm test -- checkout');
    // The output is folded; "Show all" shows every line.
    expect(await row.locator('.tl-out').innerText()).not.toContain('final line: 120 passed');
    await page.screenshot({ path: join(SHOTS, 'dashboard-timeline.png') });
    await row.locator('.tl-more').click();
    expect(await row.locator('.tl-out').innerText()).toContain('final line: 120 passed, 0 failed');
  }, 60_000);

  test('export downloads Markdown with the prompt and the command', async () => {
    await page.goto(`${sidecar.url}/#session=claude-app`);
    await page.waitForSelector('[data-export="md"]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-export="md"]')]);
    expect(download.suggestedFilename()).toBe('session-claude-app.md');
    const text = readFileSync(await download.path(), 'utf8');
    expect(text).toContain('The checkout tests fail since the refactor.');
    expect(text).toContain('npm test -- checkout');
    expect(text).toContain('final line: 120 passed, 0 failed');
    const json = await (await fetch(`${sidecar.url}/api/sessions/claude-app/export.json`)).json() as { events: Array<{ hook_type: string }> };
    expect(json.events[0]!.hook_type).toBe('SessionStart');
  }, 60_000);

  test('the runner\'s page shows a Web Notification per pending request once the user allowed them; a click opens that session', async () => {
    // A page of its own whose Notification records what it is asked to show (permission: granted).
    const context = page.context();
    const notePage = await context.newPage();
    await notePage.addInitScript(`
      window.__notes = [];
      window.Notification = class {
        static permission = 'granted';
        static requestPermission() { return Promise.resolve('granted'); }
        constructor(title, options) { this.title = title; this.body = options && options.body; window.__notes.push(this); }
        close() {}
      };
    `);
    await notePage.goto(`${sidecar.url}/`);
    await notePage.waitForSelector('.conn.live');
    await notePage.waitForSelector('.card');
    const s = { session_id: 'notify-me', cwd: '/home/dev/src/notify', __provider: 'codex', turn_id: 'tn' };
    await post(sidecar, 'PermissionRequest', { ...s, tool_name: 'Bash', tool_input: { command: 'git push origin main' } });
    // A function, not a string: the dashboard's CSP (no 'unsafe-eval') refuses Playwright's eval of a string.
    await notePage.waitForFunction(() => (window as unknown as { __notes: unknown[] }).__notes.length === 1);
    const [note] = await notePage.evaluate<Array<{ title: string; body: string }>>('window.__notes.map((n) => ({ title: n.title, body: n.body }))');
    expect(note).toEqual({ title: 'Codex needs you', body: '…/src/notify — Bash: git push origin main' });
    // The same request again (a session update) does not notify twice.
    await post(sidecar, 'Notification', { ...s, message: 'still waiting' });
    await post(sidecar, 'PreToolUse', { session_id: 'claude-app', cwd: '/home/dev/src/shop-api', tool_name: 'Bash', tool_use_id: 'toolu_other', tool_input: { command: 'ls' } });
    await notePage.waitForFunction(() => document.querySelectorAll('.tl-item').length > 0);
    expect(await notePage.evaluate('window.__notes.length')).toBe(1);
    await notePage.evaluate('window.__notes[0].onclick()');
    await notePage.waitForFunction(() => document.querySelector('.card.selected')?.getAttribute('data-id') === 'notify-me');
    await post(sidecar, 'Stop', { ...s, stop_hook_active: false, last_assistant_message: 'ok' });
    await notePage.close();
  }, 60_000);

  test('filters and keyboard navigation through sessions', async () => {
    await page.goto(`${sidecar.url}/`);
    await page.waitForSelector('.card');
    await page.selectOption('select[name="harness"]', 'codex');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.card')).every((c) => c.querySelector('.agent')?.textContent === 'Codex'));
    expect(await page.locator('.card').count()).toBe(2); // codex-docs, notify-me
    await page.selectOption('select[name="harness"]', '');
    await page.waitForFunction(() => document.querySelectorAll('.card').length === 4);
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    const selected = async (): Promise<string | null> => page.locator('.card.selected').getAttribute('data-id');
    const start = await selected();
    await page.keyboard.press('j');
    await page.waitForFunction((s) => document.querySelector('.card.selected')?.getAttribute('data-id') !== s, start);
    const second = await selected();
    await page.keyboard.press('k');
    await page.waitForFunction((s) => document.querySelector('.card.selected')?.getAttribute('data-id') === s, start);
    expect(second).not.toBe(start);
  }, 60_000);

  test('a past session whose timeline rows are still being imported says so, until they are in', async () => {
    // The history import's first phase is done for this session's file (a summary cursor), its
    // second phase (the rows) is not: src/sidecar/tail-import.ts ImportPhase.
    const file = '/home/dev/.claude/projects/-home-dev-src-old/history-session.jsonl';
    const db = openDb(sidecar.dbPath);
    seedSession(db, { sessionId: 'history-session', cwd: '/home/dev/src/old', calls: 2, start: new Date(Date.now() - 60_000) });
    db.prepare(`INSERT INTO claude_transcript_summaries (path, session_id, offset, size, updated_at) VALUES (?, 'history-session', 4096, 4096, ?)`).run(file, new Date().toISOString());
    db.close();
    await page.goto(`${sidecar.url}/?fresh=1#session=history-session`); // a new page load: the list is fetched anew
    await page.waitForSelector('.tl-top .tl-importing');
    expect(await page.locator('.tl-top .edge-end').innerText()).toContain('Still importing this session’s history');
    const meta = page.locator('.card[data-id="history-session"] .card-meta');
    expect(await meta.innerText()).toContain('events importing…');
    // The second phase reaches the file: its cursor catches up with the summary's.
    const again = openDb(sidecar.dbPath);
    again.prepare(`INSERT INTO claude_transcript_files (path, session_id, offset, size, updated_at) VALUES (?, 'history-session', 4096, 4096, ?)`).run(file, new Date().toISOString());
    again.close();
    await page.reload();
    await page.waitForSelector('.tl-item');
    await page.waitForSelector('.tl-top .edge-end');
    expect(await page.locator('.tl-top .edge-end').innerText()).toBe('Start of the session');
    expect(await meta.innerText()).toMatch(/ · \d+ events · /);
  }, 60_000);
});
