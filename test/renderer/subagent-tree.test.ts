// The session list's subagent tree in real headless Chromium against a real patched sidecar:
// a parent shows its own and rolled-up tokens and cost; expanding it shows its subagents, each
// with its own numbers; a live update of a subagent refreshes its numbers and the parent's
// roll-up without folding the tree; a subagent whose parent is unknown is marked; the session
// view links a subagent to its parent and the parent to its subagents.
// UPDATE_SCREENSHOTS=1 writes the screenshots to docs/screenshots/ (else test-artifacts/).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postHook, startPatched, type RunningServer } from '../../scripts/lib/servers.js';
import { openDb, seedSessionTree } from '../../scripts/lib/seed.js';
import { launchChromium } from '../../scripts/lib/browser.js';
import { costOf, defaultTable, ratesFor } from '../../src/sidecar/pricing/pricing.js';
import { money } from '../../src/dashboard/usage/format.js';
import { tempDir } from '../helpers/temp.js';

const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(process.cwd(), 'docs', 'screenshots') : join(process.cwd(), 'test-artifacts');

const minutesAgo = (m: number): string => new Date(Date.now() - m * 60_000).toISOString();
type T = { input: number; output: number; cacheRead?: number; cacheWrite?: number };
const cost = (model: string, ...ts: T[]): number =>
  ts.reduce((sum, t) => sum + costOf({ input: t.input, output: t.output, cacheRead: t.cacheRead ?? 0, cacheWrite: t.cacheWrite ?? 0 }, ratesFor(defaultTable(), model))!, 0);
const total = (...ts: T[]): number => ts.reduce((sum, t) => sum + t.input + t.output + (t.cacheRead ?? 0) + (t.cacheWrite ?? 0), 0);

// The scripted usage of each session (per message), and what the page must show for it.
const ROOT: T[] = [{ input: 3200, output: 850, cacheRead: 42_000, cacheWrite: 6_100 }, { input: 1900, output: 420, cacheRead: 48_500 }];
const EXPLORE: T[] = [{ input: 2400, output: 610, cacheRead: 12_000, cacheWrite: 3_000 }];
const TESTS: T[] = [{ input: 1100, output: 380, cacheRead: 9_000 }, { input: 700, output: 150, cacheRead: 9_800 }];
const CX_ROOT: T[] = [{ input: 5200, output: 900, cacheRead: 20_000 }];
const CX_SUB: T[] = [{ input: 1800, output: 260, cacheRead: 4_000 }];
const ORPHAN: T[] = [{ input: 300, output: 90 }];
const LIVE_EXTRA: T = { input: 500, output: 120, cacheRead: 1_000 };

describe('subagent tree in the session list (Chromium)', () => {
  let sidecar: RunningServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    sidecar = await startPatched({ dir: tempDir('am-subagent-tree-') });
    const db = openDb(sidecar.dbPath);
    seedSessionTree(db, [
      { id: 'cl-refactor', name: 'Refactor the payment module', cwd: '/home/dev/src/shop-api', status: 'active', updatedAt: minutesAgo(2), usage: ROOT },
      { id: 'cl-explore', parent: 'cl-refactor', name: 'Find every caller of charge()', model: 'claude-haiku-4-5', cwd: '/home/dev/src/shop-api', updatedAt: minutesAgo(6), usage: EXPLORE },
      { id: 'cl-tests', parent: 'cl-refactor', name: 'Write the migration tests', cwd: '/home/dev/src/shop-api', status: 'active', updatedAt: minutesAgo(3), usage: TESTS },
      { id: 'cx-docs', harness: 'codex', name: 'Update the install guide', cwd: '/home/dev/src/docs-site', updatedAt: minutesAgo(20), usage: CX_ROOT },
      { id: 'cx-galileo', harness: 'codex', parent: 'cx-docs', name: 'Galileo', cwd: '/home/dev/src/docs-site', updatedAt: minutesAgo(21), usage: CX_SUB },
      { id: 'cl-lost', parent: 'cl-gone', name: 'Check the lint errors', cwd: '/home/dev/src/shop-api', updatedAt: minutesAgo(45), usage: ORPHAN },
      { id: 'cl-plain', name: 'Bump the dependencies', cwd: '/home/dev/src/web', updatedAt: minutesAgo(90) },
    ]);
    db.close();
    ({ browser } = await launchChromium());
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    page = await context.newPage();
    mkdirSync(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await sidecar?.stop();
  });

  const cardOf = (id: string): Locator => page.locator(`.card[data-id="${id}"]`);
  /** The exact token count and the cost text of a row's own (or rolled-up) figure. */
  async function figures(card: Locator, which: 'u-own' | 'u-total'): Promise<{ tokens: number; cost: string }> {
    const el = card.locator(`:scope > .card-usage > .${which}`);
    return { tokens: Number(await el.getAttribute('data-tokens')), cost: await el.locator('.u-cost').innerText() };
  }

  test('a parent shows its own and rolled-up numbers; expanding it shows each subagent with its own', async () => {
    await page.goto(`${sidecar.url}/`);
    await page.waitForSelector('.conn.live');
    const root = cardOf('cl-refactor');
    await root.waitFor();
    // Top level: the three roots and the orphan; subagents are not listed on their own.
    expect(await page.locator('ul.cards:not(.needs):not(.sub-cards) > .card').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(['cl-refactor', 'cx-docs', 'cl-lost', 'cl-plain']);
    expect(await figures(root, 'u-own')).toEqual({ tokens: total(...ROOT), cost: money(cost('claude-sonnet-4-5', ...ROOT)) });
    expect(await figures(root, 'u-total')).toEqual({
      tokens: total(...ROOT, ...EXPLORE, ...TESTS),
      cost: money(cost('claude-sonnet-4-5', ...ROOT, ...TESTS) + cost('claude-haiku-4-5', ...EXPLORE)),
    });
    expect(await root.locator(':scope > .card-usage > .u-total').innerText()).toMatch(/^with 2 subagents:/);
    expect(await page.locator('.sub-cards .card').count()).toBe(0); // collapsed

    const toggle = root.locator(':scope > .sub-toggle');
    expect(await toggle.innerText()).toBe('▸ 2 subagents');
    await toggle.click();
    await page.waitForSelector('.card[data-id="cl-refactor"] .sub-cards .card');
    expect(await root.getAttribute('aria-expanded')).toBe('true');
    const kids = root.locator(':scope > .sub-cards > .card');
    expect(await kids.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(['cl-explore', 'cl-tests']);
    expect(await figures(cardOf('cl-explore'), 'u-own')).toEqual({ tokens: total(...EXPLORE), cost: money(cost('claude-haiku-4-5', ...EXPLORE)) });
    expect(await figures(cardOf('cl-tests'), 'u-own')).toEqual({ tokens: total(...TESTS), cost: money(cost('claude-sonnet-4-5', ...TESTS)) });
    // The shown token text is the short form of the exact count in data-tokens.
    expect(await cardOf('cl-tests').locator('.u-own .u-tokens').innerText()).toBe(`${(total(...TESTS) / 1000).toFixed(1)}k tok`);
    // Opening a subagent does not fold its parent.
    await cardOf('cl-tests').locator('.card-title').click();
    await page.waitForSelector('.card.selected[data-id="cl-tests"]');
    expect(await root.getAttribute('aria-expanded')).toBe('true');

    // The orphan: listed top-level, marked.
    expect(await cardOf('cl-lost').locator('.card-orphan').innerText()).toBe('subagent · parent session not seen');
    expect(await figures(cardOf('cl-lost'), 'u-own')).toEqual({ tokens: total(...ORPHAN), cost: money(cost('claude-sonnet-4-5', ...ORPHAN)) });

    // Codex: the thread-spawned subagent under its parent.
    await cardOf('cx-docs').locator(':scope > .sub-toggle').click();
    await cardOf('cx-galileo').waitFor();
    expect(await figures(cardOf('cx-galileo'), 'u-own')).toEqual({ tokens: total(...CX_SUB), cost: money(cost('gpt-5', ...CX_SUB)) });
    expect(await figures(cardOf('cx-docs'), 'u-total')).toEqual({ tokens: total(...CX_ROOT, ...CX_SUB), cost: money(cost('gpt-5', ...CX_ROOT, ...CX_SUB)) });
    await page.screenshot({ path: join(SHOTS, 'dashboard-subagents.png') });
  }, 90_000);

  test('a live update of a subagent refreshes its numbers and the roll-up, and the tree stays open', async () => {
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    // A new usage record for the subagent (what the importer stores), then a hook event of it.
    const db = openDb(sidecar.dbPath);
    db.prepare(`INSERT INTO usage_records (usage_key, session_id, harness, model, turn_id, at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, context_tokens, source_file)
                VALUES ('live:1', 'cl-tests', 'claude', 'claude-sonnet-4-5', NULL, ?, ?, ?, ?, 0, 0, NULL, 'live')`).run(new Date().toISOString(), LIVE_EXTRA.input, LIVE_EXTRA.output, LIVE_EXTRA.cacheRead);
    db.close();
    const r = await postHook(sidecar, 'PreToolUse', { session_id: 'cl-tests', cwd: '/home/dev/src/shop-api', tool_name: 'Bash', tool_use_id: 'toolu_live_sub', tool_input: { command: 'npm test -- migration' }, __delivery_id: 'tree-live-1' });
    expect(r.status, r.body).toBe(200);
    const want = total(...TESTS, LIVE_EXTRA);
    await page.waitForFunction((n) => document.querySelector('.card[data-id="cl-tests"] .u-own')?.getAttribute('data-tokens') === String(n), want);
    expect(await figures(cardOf('cl-tests'), 'u-own')).toEqual({ tokens: want, cost: money(cost('claude-sonnet-4-5', ...TESTS, LIVE_EXTRA)) });
    expect(await figures(cardOf('cl-refactor'), 'u-total')).toEqual({
      tokens: total(...ROOT, ...EXPLORE, ...TESTS, LIVE_EXTRA),
      cost: money(cost('claude-sonnet-4-5', ...ROOT, ...TESTS, LIVE_EXTRA) + cost('claude-haiku-4-5', ...EXPLORE)),
    });
    // Still nested, still expanded, no reload; the subagent was not moved to the top level.
    expect(await cardOf('cl-refactor').getAttribute('aria-expanded')).toBe('true');
    expect(await cardOf('cx-docs').getAttribute('aria-expanded')).toBe('true');
    expect(await page.locator('ul.cards:not(.needs):not(.sub-cards) > .card').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(['cl-refactor', 'cx-docs', 'cl-lost', 'cl-plain']);
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  }, 60_000);

  test('the session view links a subagent to its parent and the parent to its subagents', async () => {
    await page.goto(`${sidecar.url}/#session=cl-explore`);
    await page.waitForSelector('.s-family:not([hidden]) .family-parent');
    expect(await page.locator('.family-parent').textContent()).toBe('Subagent of Refactor the payment moduleactive');
    expect(await page.locator('.family-parent .family-link').getAttribute('href')).toBe('#session=cl-refactor');
    await page.locator('.family-parent .family-link').click();
    await page.waitForSelector('.card.selected[data-id="cl-refactor"]');
    await page.waitForSelector('.family-children .family-child');
    const rows = page.locator('.family-children .family-child');
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(['cl-explore', 'cl-tests']);
    expect(Number(await rows.nth(0).locator('.c-own').getAttribute('data-tokens'))).toBe(total(...EXPLORE));
    expect(await rows.nth(0).locator('.c-own .u-cost').innerText()).toBe(money(cost('claude-haiku-4-5', ...EXPLORE)));
    expect(Number(await page.locator('.family-usage .f-total').getAttribute('data-tokens'))).toBe(total(...ROOT, ...EXPLORE, ...TESTS, LIVE_EXTRA));
    expect(await page.locator('.family-h').textContent()).toBe('Subagents · 2');
    await page.screenshot({ path: join(SHOTS, 'dashboard-subagents-session.png') });
    await rows.nth(1).locator('.family-link').click();
    await page.waitForSelector('.card.selected[data-id="cl-tests"]');
    expect(await page.locator('.family-parent .family-link').innerText()).toBe('Refactor the payment module');
    // An orphan says so in its view.
    await page.goto(`${sidecar.url}/#session=cl-lost`);
    await page.waitForSelector('.family-parent.orphan');
    expect(await page.locator('.family-parent.orphan code').innerText()).toBe('cl-gone');
  }, 60_000);
});
