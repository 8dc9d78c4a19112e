/**
 * Rollouts and hook payloads captured from the real Codex CLI (test/fixtures/real/codex, see its
 * meta.json): hooks on and hooks off must give the same events with the same tool names, and
 * hooks + rollout must not duplicate anything.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importRolloutFile } from '../../src/sidecar/index.js';
import { insertHook, openTestDb, readJson, REAL_CODEX, rows } from './helpers.js';

interface Meta {
  version: string;
  observations: { sessionId: string; turnId: string; hookOrder: string[] };
  scenario: { toolCalls: number; commands: string[] };
}

const scenarios = fs.existsSync(REAL_CODEX)
  ? fs.readdirSync(REAL_CODEX).filter((d) => fs.existsSync(path.join(REAL_CODEX, d, 'rollout.jsonl')))
  : [];

function hookFiles(dir: string): Array<[string, Record<string, unknown>]> {
  const hooksDir = path.join(dir, 'hooks');
  return fs.readdirSync(hooksDir).sort().map((f) => [f.replace(/^\d+-|\.json$/g, ''), readJson(path.join(hooksDir, f))]);
}

const key = (r: { hook_type: string; tool_name: string | null; dedup_key: string | null }) => `${r.hook_type}|${r.tool_name}|${r.dedup_key}`;

describe.skipIf(scenarios.length === 0)('real Codex CLI fixtures', () => {
  it.each(scenarios)('%s: hooks off gives the hook timeline; hooks on adds no duplicates', (name) => {
    const dir = path.join(REAL_CODEX, name);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as Meta;
    const sid = meta.observations.sessionId;
    const rollout = path.join(dir, 'rollout.jsonl');

    // Hooks off: rollout only.
    const off = openTestDb().db;
    expect(importRolloutFile(off, rollout).malformed).toBe(0);
    const offRows = rows(off);
    const expectedTypes = meta.observations.hookOrder.filter((h) => h !== 'SessionEnd').map((h) => h.replace(/\(.*\)$/, ''));
    expect(offRows.map((r) => r.hook_type).sort()).toEqual([...expectedTypes].sort());
    expect(offRows.every((r) => r.source === 'rollout' && r.seen_by === 'rollout')).toBe(true);
    expect(offRows.filter((r) => r.hook_type === 'PreToolUse').map((r) => r.tool_name)).toEqual(meta.scenario.commands.map(() => 'Bash'));
    const s = off.prepare('SELECT harness, model, status, cwd FROM sessions WHERE id = ?').get(sid);
    expect(s).toEqual({ harness: 'codex', model: 'fake-model', status: 'waiting', cwd: '/tmp/FIXTURE/work' });
    const pres = off.prepare(`SELECT data FROM events WHERE hook_type = 'PreToolUse' ORDER BY id`).all() as Array<{ data: string }>;
    expect(pres.map((p) => JSON.parse(p.data).tool_input)).toEqual(meta.scenario.commands.map((command) => ({ command })));

    // Hooks on: every hook delivered (as the CLI fired them), then the watcher catches up.
    const on = openTestDb().db;
    for (const [type, data] of hookFiles(dir)) insertHook(on, type, data);
    importRolloutFile(on, rollout);
    const onRows = rows(on);
    const nonEnd = onRows.filter((r) => r.hook_type !== 'SessionEnd');
    expect(nonEnd.map(key).sort()).toEqual(offRows.map(key).sort());
    expect(new Set(onRows.map(key)).size).toBe(onRows.length);
    expect(nonEnd.every((r) => r.source === 'hook' && r.seen_by === 'hook,rollout')).toBe(true);
    expect(onRows.filter((r) => r.hook_type === 'SessionEnd')).toEqual([
      { hook_type: 'SessionEnd', tool_name: null, dedup_key: expect.stringMatching(/^delivery:/), source: 'hook', seen_by: 'hook' },
    ]);

    // Hooks-on order equals hooks-off order wherever the CLI is sequential.
    if (!name.includes('parallel')) {
      const timeline = (db: typeof on) =>
        (db.prepare(`SELECT hook_type, tool_name FROM events WHERE hook_type <> 'SessionEnd' ORDER BY created_at, id`).all());
      const onOrder = onRows.filter((r) => r.hook_type !== 'SessionEnd').map((r) => [r.hook_type, r.tool_name]);
      expect(timeline(off).map((r) => Object.values(r as object))).toEqual(onOrder);
    }
  });
});
