/**
 * The usage panels in real headless Chromium against the real patched sidecar, whose worker
 * imported Claude transcripts (with a subagent) and a Codex rollout: charts drawn with the right
 * values (read back from uPlot's live legend under the pointer and from the canvas pixels), the
 * subagent tree expands, the pricing editor changes a session's cost on screen, the gauges.
 * Screenshots go to docs/screenshots/ with UPDATE_SCREENSHOTS=1.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPatched, type RunningServer } from '../../scripts/lib/servers.js';
import { launchChromium } from '../../scripts/lib/browser.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';
import { agentTranscript, AGENT, codexRollout, mainTranscript, placeClaude, placeCodex, SID, THREAD } from './fixtures.js';

// UPDATE_SCREENSHOTS=1 writes the screenshots to docs/screenshots/ (else test-artifacts/, git-ignored).
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? path.resolve(import.meta.dirname, '../../docs/screenshots') : path.resolve(import.meta.dirname, '../../test-artifacts');

const day = (back: number): string => new Date(Date.now() - back * 86_400_000).toISOString().slice(0, 10);
/** The fixtures' dates moved to two days and one day ago, so they fall in the last-30-days chart. */
const recent = (lines: string[]): string[] => lines.map((l) => l.replaceAll('2026-11-20', day(2)).replaceAll('2026-11-21', day(1)));

interface UsageSessions {
  sessions: Array<{ id: string; children: string[] }>;
}

async function hover(page: Page, chart: string, index: number, n: number): Promise<void> {
  await page.locator(`${chart} .u-over`).scrollIntoViewIfNeeded();
  // uPlot re-reads its position on scroll in the next frame.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))));
  const box = (await page.locator(`${chart} .u-over`).boundingBox())!;
  await page.mouse.move(box.x + 1, box.y + 1);
  await page.mouse.move(box.x + ((index + 0.5) / n) * box.width, box.y + box.height - 3);
}

async function legend(page: Page, chart: string): Promise<Record<string, string>> {
  return page.evaluate((sel) => {
    const out: Record<string, string> = {};
    document.querySelectorAll(`${sel} .u-legend .u-series`).forEach((row) => {
      const label = row.querySelector('.u-label')?.textContent ?? '';
      out[label] = row.querySelector('.u-value')?.textContent ?? '';
    });
    return out;
  }, chart);
}

/** Non-background pixels in a vertical strip of the chart's canvas at data index `index`. */
async function paintedAt(page: Page, chart: string, index: number, n: number): Promise<number> {
  return page.evaluate(({ sel, index, n }) => {
    const canvas = document.querySelector<HTMLCanvasElement>(`${sel} canvas`)!;
    const over = document.querySelector<HTMLElement>(`${sel} .u-over`)!;
    const ctx = canvas.getContext('2d')!;
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const left = (over.offsetLeft + ((index + 0.5) / n) * over.clientWidth) * ratio;
    const top = over.offsetTop * ratio;
    const data = ctx.getImageData(Math.round(left) - 1, Math.round(top), 3, Math.round(over.clientHeight * ratio)).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 200) painted++;
    return painted;
  }, { sel: chart, index, n });
}

describe('usage panels in Chromium', () => {
  let sidecar: RunningServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const dir = tempDir('am-usage-ui-');
    const claudeDir = path.join(dir, 'claude');
    const codexHome = path.join(dir, 'codex');
    placeClaude(claudeDir, recent(mainTranscript()), recent(agentTranscript()));
    placeCodex(codexHome, recent(codexRollout()));
    const data = path.join(dir, 'data');
    fs.mkdirSync(data, { recursive: true });
    // Claude tracking is on: the sidecar's worker reads the Claude folder.
    fs.writeFileSync(path.join(data, 'settings.json'), JSON.stringify({ agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: true }));
    sidecar = await startPatched({ dir: data, codexHome, env: { AGENT_MONITOR_CLAUDE_DIR: claudeDir } });
    await waitFor('history imported', async () => {
      const r = (await (await fetch(`${sidecar.url}/api/usage/sessions`)).json()) as UsageSessions;
      return r.sessions.find((s) => s.id === SID)?.children.length === 1 && r.sessions.some((s) => s.id === THREAD);
    }, 15_000);
    ({ browser } = await launchChromium());
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await sidecar?.stop();
  });

  test('daily and tool charts are drawn with the imported values', async () => {
    await page.goto(`${sidecar.url}/`);
    // The typed dashboard is up, with the usage button in its top bar: open the overview.
    await page.locator('header .usage-open').click();
    await page.waitForSelector('.usage-daily canvas');
    const n = 30;
    // Two days ago: Claude only (Sonnet main session 4,332 tokens, Haiku subagent 1,040); yesterday: Codex.
    await hover(page, '.usage-daily', n - 3, n);
    const twoDaysAgo = await legend(page, '.usage-daily');
    expect(twoDaysAgo).toMatchObject({
      'Claude · claude-haiku-4-5': '1,040',
      'Claude · claude-sonnet-4-5-20250929': '4,332',
      'Codex · gpt-5': '0',
      'Codex · gpt-5-mini': '0',
    });
    await hover(page, '.usage-daily', n - 2, n);
    expect(await legend(page, '.usage-daily')).toMatchObject({ 'Codex · gpt-5': '2,630', 'Codex · gpt-5-mini': '1,570', 'Claude · claude-haiku-4-5': '0' });
    expect(await paintedAt(page, '.usage-daily', n - 3, n)).toBeGreaterThan(20);
    expect(await paintedAt(page, '.usage-daily', n - 10, n)).toBe(0); // a day without usage has no bar

    // Cost per day: the same bars priced per model.
    await page.selectOption('.usage-metric', 'cost');
    await page.waitForFunction(() => document.querySelector('.usage-daily .u-title')?.textContent?.startsWith('Cost per day'));
    await hover(page, '.usage-daily', n - 3, n);
    expect(await legend(page, '.usage-daily')).toMatchObject({ 'Claude · claude-haiku-4-5': '$0.0014', 'Claude · claude-sonnet-4-5-20250929': '$0.0063' });

    // Tools: counts, failures and time from the transcript (the subagent's Read failed after 1 s).
    const rows = await page.locator('.usage-tools-all tr[data-tool]').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)));
    expect(rows).toEqual(expect.arrayContaining([
      ['Bash', '1', '0', '0%', '999 ms', '999 ms'], // the tool_use block is on the message's second line, 1 ms after the first
      ['Read', '1', '1', '100%', '1.0 s', '1.0 s'],
      ['Task', '1', '0', '0%', '6.0 s', '6.0 s'],
    ]));
    const nTools = rows.length;
    const readIndex = rows.findIndex((r) => r[0] === 'Read');
    await hover(page, '.usage-tools-all', readIndex, nTools);
    expect(await legend(page, '.usage-tools-all')).toMatchObject({ calls: '1' });
    expect(await paintedAt(page, '.usage-tools-all', readIndex, nTools)).toBeGreaterThan(10);
    await page.screenshot({ path: path.join(SHOTS, 'usage-charts.png'), fullPage: true });
  }, 60_000);

  test('the subagent tree expands; the session view shows per-turn charts, gauges and rate limits', async () => {
    const parentRow = page.locator(`.usage-tree-box li[data-id="${SID}"]`);
    await parentRow.waitFor();
    expect(await parentRow.getAttribute('aria-expanded')).toBe('false');
    expect(await page.locator(`.usage-tree-box li[data-id="${AGENT}"]`).count()).toBe(0);
    await parentRow.locator('> .usage-row .usage-toggle').click();
    expect(await parentRow.getAttribute('aria-expanded')).toBe('true');
    const child = page.locator(`.usage-tree-box li[data-id="${AGENT}"] > .usage-row`);
    await child.waitFor();
    expect(await child.locator('.usage-tokens').innerText()).toBe('1,040');
    expect(await child.locator('.usage-cost').innerText()).toBe('$0.0014');
    // The parent's roll-up: own 4,332 + subagent 1,040.
    expect(await parentRow.locator('> .usage-row .usage-rollup').innerText()).toBe('with subagents: 5,372');

    // The Codex session: two turns on two models, its context gauge and rate-limit windows.
    await page.locator(`.usage-tree-box li[data-id="${THREAD}"] .usage-name`).click();
    await page.waitForSelector('.usage-turn-tokens canvas');
    await hover(page, '.usage-turn-tokens', 1, 2);
    expect(await legend(page, '.usage-turn-tokens')).toMatchObject({ input: '500', 'cache read': '1,000', output: '70', 'cache write': '0' });
    await hover(page, '.usage-turn-tokens', 0, 2);
    expect(await legend(page, '.usage-turn-tokens')).toMatchObject({ input: '1,600', 'cache read': '900', output: '130' });
    expect(await paintedAt(page, '.usage-turn-tokens', 0, 2)).toBeGreaterThan(20);
    const meters = await page.locator('.usage-session [role="meter"]').evaluateAll((els) => els.map((e) => [e.getAttribute('aria-label'), e.getAttribute('aria-valuenow'), e.getAttribute('aria-valuemax')]));
    expect(meters).toEqual([
      ['Context window (latest turn)', '1570', '272000'],
      ['Codex rate limit · 5-hour window', '42.5', '100'],
      ['Codex rate limit · 1-week window', '7', '100'],
    ]);
    await page.screenshot({ path: path.join(SHOTS, 'usage-session-codex.png'), fullPage: true });
  }, 60_000);

  test('editing a rate in the pricing editor changes the session cost on screen, and it is persisted', async () => {
    const childCost = page.locator(`.usage-tree-box li[data-id="${AGENT}"] > .usage-row .usage-cost`);
    expect(await childCost.innerText()).toBe('$0.0014');
    await page.locator('.usage-pricing-box summary').click();
    const row = page.locator('.usage-pricing tr[data-model="claude-haiku-4-5"]');
    await row.locator('input[aria-label="claude-haiku-4-5 Input rate"]').fill('100');
    await row.locator('.usage-save').click();
    await page.waitForFunction(() => document.querySelector('.usage-status')?.textContent === 'Saved claude-haiku-4-5.');
    // 850 input × $100 + 90 output × $5 + 100 cache write × $1.25, per million.
    // The tree is redrawn with the new prices and stays expanded.
    await waitFor('new cost on screen', () => page.evaluate((id) => document.querySelector(`.usage-tree-box li[data-id="${id}"] > .usage-row .usage-cost`)?.textContent === '$0.086', AGENT), 10_000);
    expect(await page.locator('.usage-pricing tr[data-model="claude-haiku-4-5"] .usage-source').innerText()).toContain('edited by you');
    const saved = (await (await fetch(`${sidecar.url}/api/usage/pricing`)).json()) as { models: Record<string, { input: number; origin: string }> };
    expect(saved.models['claude-haiku-4-5']).toMatchObject({ input: 100, origin: 'user' });
    await page.screenshot({ path: path.join(SHOTS, 'usage-pricing-editor.png'), fullPage: true });
    // Back to the shipped rate.
    await page.locator('.usage-pricing tr[data-model="claude-haiku-4-5"] .usage-reset').click();
    await waitFor('shipped rate again', () => page.evaluate((id) => document.querySelector(`.usage-tree-box li[data-id="${id}"] > .usage-row .usage-cost`)?.textContent === '$0.0014', AGENT), 10_000);
  }, 60_000);

  test('the session view of the dashboard has a usage panel: one summary line, charts when opened', async () => {
    await page.evaluate((id) => (window as unknown as { agentMonitorDashboard: { selectSession(id: string): Promise<void> } }).agentMonitorDashboard.selectSession(id), SID);
    const panel = page.locator('[data-panel="usage"] .usage-session-panel');
    await panel.waitFor();
    await waitFor('summary filled', async () => (await panel.locator('summary').innerText()).includes('tokens'), 10_000);
    // The parent with its subagent: 5,372 tokens; Sonnet part + Haiku part.
    expect(await panel.locator('summary').innerText()).toBe('Usage & cost · 5,372 tokens $0.0078 · 1 subagent');
    await panel.locator('summary').click();
    await panel.locator('.usage-turn-tokens canvas').waitFor();
    expect(await panel.locator('.usage-models tr[data-model]').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.model))).toEqual(['claude-sonnet-4-5-20250929']);
    await panel.locator(`.usage-subagents li[data-id="${SID}"] > .usage-row .usage-toggle`).click();
    expect(await panel.locator(`.usage-subagents li[data-id="${AGENT}"] .usage-cost`).first().innerText()).toBe('$0.0014');
    await page.screenshot({ path: path.join(SHOTS, 'usage-session-panel.png') });
  }, 60_000);
});
