/**
 * Our token totals against an independent tool's on the same files: the REAL Claude Code and
 * Codex CLIs write their session files against the fake model servers with scripted usage
 * (streamed messages repeating usage, a Claude subagent, cached and reasoning tokens); our
 * importer (the production engine, inline) and `ccusage@20.0.24 --offline` read them.
 *
 * ccusage's conventions, checked here: Claude sessions include their subagent files (= our
 * parent roll-up); Codex `inputTokens` is net of cached input, and output includes reasoning.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { startRolloutWatcher } from '../../src/sidecar/index.js';
import { RolloutEngine } from '../../src/sidecar/rollout/engine.js';
import { costOf, loadPricing, ratesFor, setPriceOverride } from '../../src/sidecar/pricing/pricing.js';
import { sessionsUsage } from '../../src/sidecar/usage/queries.js';
import { listSessions } from '../../src/sidecar/host/dashboard-routes.js';
import { cleanEnv } from '../real-clients/run.js';
import { createTempDirectory, openTestDb } from '../sidecar/helpers.js';
import { CLAUDE_MODEL, CODEX_MODEL, runClaudeSession, runCodexSession, type ClaudeRun, type CodexRun } from './real-sessions.js';

const CCUSAGE = path.resolve(import.meta.dirname, '../../node_modules/.bin/ccusage');

interface CcClaudeSession {
  sessionId: string;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalCost: number;
  modelBreakdowns: Array<{ modelName: string; inputTokens: number; outputTokens: number; cacheCreationTokens: number; cacheReadTokens: number; cost: number }>;
}
interface CcCodexSession {
  sessionId: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  reasoningOutputTokens: number;
  costUSD: number;
  models: Record<string, { inputTokens: number; outputTokens: number; cacheReadTokens: number; reasoningOutputTokens: number }>;
}

function ccusage<T>(args: string[], env: Record<string, string>, home: string): T {
  const out = execFileSync(CCUSAGE, [...args, '--json', '--offline'], { env: cleanEnv({ HOME: home, ...env }), encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out) as T;
}

let root: string;
let claude: ClaudeRun;
let codex: CodexRun;
let db: Database.Database;

beforeAll(async () => {
  root = createTempDirectory('am-ccusage-');
  claude = await runClaudeSession(root);
  codex = await runCodexSession(root);
  expect(claude.result.code, claude.result.stderr).toBe(0);
  expect(codex.result.code, codex.result.stderr).toBe(0);
  expect(claude.agentToolUsed).toBe(true);
  ({ db } = openTestDb(path.join(root)));
  const w = await startRolloutWatcher({ dbPath: db.name, codexHome: codex.codexHome, claudeDir: claude.claudeDir, inline: true, onChange: () => {} });
  await w.flush();
  await w.close();
}, 240_000);

type Sums = { input: number; output: number; cacheRead: number; cacheWrite: number; reasoning: number };

function byModel(ids: string[]): Map<string, Sums> {
  const rows = db.prepare(`SELECT model, SUM(input_tokens) AS input, SUM(output_tokens) AS output, SUM(cache_read_tokens) AS cacheRead,
                                  SUM(cache_write_tokens) AS cacheWrite, SUM(reasoning_tokens) AS reasoning
                             FROM usage_records WHERE session_id IN (${ids.map(() => '?').join(',')}) GROUP BY model`).all(...ids) as Array<Sums & { model: string }>;
  return new Map(rows.map(({ model, ...s }) => [model, s]));
}

describe('token totals equal ccusage@20.0.24 on files the real CLIs wrote', () => {
  it('Claude Code: per session (with its subagent) and per model', () => {
    const cc = ccusage<{ sessions: CcClaudeSession[] }>(['claude', 'session'], { CLAUDE_CONFIG_DIR: claude.claudeDir }, claude.home);
    expect(cc.sessions).toHaveLength(1);
    const ccs = cc.sessions[0]!;
    const ours = sessionsUsage(db).sessions.find((s) => s.id === ccs.sessionId)!;
    expect(ours, 'the session ccusage saw is imported').toBeDefined();
    expect(ours.children).toHaveLength(1); // the subagent, under its parent
    const child = sessionsUsage(db).sessions.find((s) => s.id === ours.children[0])!;
    expect(child.own.tokens.total).toBeGreaterThan(0);
    expect({ input: ours.total.tokens.input, output: ours.total.tokens.output, cacheRead: ours.total.tokens.cacheRead, cacheWrite: ours.total.tokens.cacheWrite })
      .toEqual({ input: ccs.inputTokens, output: ccs.outputTokens, cacheRead: ccs.cacheReadTokens, cacheWrite: ccs.cacheCreationTokens });
    // Scripted numbers, independent of both tools: 5 messages (2 of them streamed as two lines each).
    expect(db.prepare(`SELECT COUNT(*) AS n FROM usage_records WHERE harness = 'claude'`).get()).toEqual({ n: 5 });
    const models = byModel([ours.id, ...ours.children]);
    for (const m of ccs.modelBreakdowns) {
      const mine = models.get(m.modelName);
      expect(mine, m.modelName).toBeDefined();
      expect({ input: mine!.input, output: mine!.output, cacheRead: mine!.cacheRead, cacheWrite: mine!.cacheWrite })
        .toEqual({ input: m.inputTokens, output: m.outputTokens, cacheRead: m.cacheReadTokens, cacheWrite: m.cacheCreationTokens });
    }
    expect([...models.keys()]).toEqual([CLAUDE_MODEL]);

    // The dashboard's session list: the subagent nested under its parent (not a row of its own),
    // its own tokens, and the parent's roll-up equal to ccusage's session total.
    const list = listSessions(db, { harness: 'claude' }, null, 50).sessions;
    expect(list.map((r) => r.id)).toEqual([ccs.sessionId]);
    expect(list[0]!.children.map((c) => c.id)).toEqual([child.id]);
    expect(list[0]!.children[0]!.usage.own.tokens).toEqual(child.own.tokens);
    const rolled = list[0]!.usage.total.tokens;
    expect({ input: rolled.input, output: rolled.output, cacheRead: rolled.cacheRead, cacheWrite: rolled.cacheWrite })
      .toEqual({ input: ccs.inputTokens, output: ccs.outputTokens, cacheRead: ccs.cacheReadTokens, cacheWrite: ccs.cacheCreationTokens });
    expect(list[0]!.usage.total.cost).toBeCloseTo(ccs.totalCost, 9);
  });

  it('Codex: per session and per model (input net of cached, output including reasoning)', () => {
    const cc = ccusage<{ sessions: CcCodexSession[] }>(['codex', 'session'], { CODEX_HOME: codex.codexHome }, root);
    expect(cc.sessions).toHaveLength(1);
    const ccs = cc.sessions[0]!;
    const id = /([0-9a-f-]{36})$/.exec(ccs.sessionId)![1]!;
    const ours = sessionsUsage(db).sessions.find((s) => s.id === id)!;
    expect(ours).toBeDefined();
    const t = ours.own.tokens;
    expect({ input: t.input, output: t.output, cacheRead: t.cacheRead, reasoning: t.reasoning })
      .toEqual({ input: ccs.inputTokens, output: ccs.outputTokens, cacheRead: ccs.cacheReadTokens, reasoning: ccs.reasoningOutputTokens });
    // Three scripted responses: input 2000/2250/2500 with 0/600/1200 cached, output 90/101/112 of which reasoning 30/35/40.
    expect(t).toMatchObject({ input: 6750 - 1800, cacheRead: 1800, output: 303, reasoning: 105 });
    const models = byModel([id]);
    for (const [name, m] of Object.entries(ccs.models)) {
      expect(models.get(name), name).toMatchObject({ input: m.inputTokens, output: m.outputTokens, cacheRead: m.cacheReadTokens, reasoning: m.reasoningOutputTokens });
    }
    expect([...models.keys()]).toEqual([CODEX_MODEL]);
  });

  it('costs: equal where the rates are equal; a difference is exactly the tokens times the rate difference', () => {
    const claudeCc = ccusage<{ sessions: CcClaudeSession[] }>(['claude', 'session'], { CLAUDE_CONFIG_DIR: claude.claudeDir }, claude.home).sessions[0]!;
    const codexCc = ccusage<{ sessions: CcCodexSession[] }>(['codex', 'session'], { CODEX_HOME: codex.codexHome }, root).sessions[0]!;
    const all = sessionsUsage(db).sessions;
    const claudeOurs = all.find((s) => s.id === claudeCc.sessionId)!;
    const codexOurs = all.find((s) => codexCc.sessionId.endsWith(s.id))!;
    // Both tables price claude-sonnet-4-5 at 3/15/3.75/0.30 and gpt-5 at 1.25/10/0.125 per million.
    expect(claudeOurs.total.cost).toBeCloseTo(claudeCc.totalCost, 9);
    expect(codexOurs.own.cost).toBeCloseTo(codexCc.costUSD, 9);

    // Change our table only: the cost moves by exactly (tokens × rate change); ccusage's does not.
    setPriceOverride(db, CLAUDE_MODEL, { input: 4, output: 15, cacheWrite: 3.75, cacheRead: 0.3 });
    const after = sessionsUsage(db).sessions.find((s) => s.id === claudeCc.sessionId)!;
    expect(after.total.cost! - claudeCc.totalCost).toBeCloseTo((claudeCc.inputTokens * (4 - 3)) / 1e6, 12);
    const table = loadPricing(db);
    const t = after.total.tokens;
    expect(after.total.cost).toBeCloseTo(costOf(t, ratesFor(table, CLAUDE_MODEL))!, 12);
  });

  it('the same files as history on first run: the first phase alone gives the same totals, before any timeline row', async () => {
    // Dated back a month, the files are past sessions: imported in two phases (src/sidecar/tail-import.ts ImportPhase).
    const old = new Date(Date.now() - 30 * 86_400_000);
    for (const dir of [claude.claudeDir, codex.codexHome]) {
      for (const f of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) if (f.endsWith('.jsonl')) fs.utimesSync(path.join(dir, f), old, old);
    }
    const { db: hist } = openTestDb(createTempDirectory('am-ccusage-history-'));
    const engine = await RolloutEngine.start({ dbPath: hist.name, codexHome: codex.codexHome, claudeDir: claude.claudeDir, onChange: () => {}, sweepIntervalMs: 3_600_000 });
    try {
      await engine.flush({ timeline: false });
      expect(engine.status().timelinePending).toBeGreaterThan(0);
      expect(hist.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 0 });
      const usageRows = (d: Database.Database): unknown[] => d.prepare('SELECT * FROM usage_records ORDER BY usage_key').all();
      const cards = (d: Database.Database): unknown[] => d.prepare(`SELECT id, parent_session_id, status, model, started_at, updated_at,
          input_tokens, output_tokens, cache_read_tokens, cache_write_tokens FROM sessions ORDER BY id`).all();
      // `db` was imported live, in one phase, and its totals are ccusage's (the tests above).
      expect(usageRows(hist)).toEqual(usageRows(db));
      expect(cards(hist)).toEqual(cards(db));
      await engine.flush();
      const rows = (d: Database.Database): unknown[] => d.prepare('SELECT session_id, hook_type, tool_name, dedup_key FROM events ORDER BY session_id, dedup_key').all();
      expect(rows(hist)).toEqual(rows(db));
      expect(hist.prepare('SELECT SUM(event_count) AS n FROM sessions').get()).toEqual(db.prepare('SELECT SUM(event_count) AS n FROM sessions').get());
    } finally {
      await engine.close();
    }
  }, 60_000);
});
