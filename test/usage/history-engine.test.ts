/**
 * The history engine (rollout worker) with Claude and Codex roots: history on first run, folder
 * watches instead of per-file polling, and appends to old (not live) files still seen at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RolloutEngine } from '../../src/sidecar/rollout/engine.js';
import { onCleanup } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';
import { createTempDirectory, openTestDb } from '../sidecar/helpers.js';
import { assistantLine, codexRollout, mainTranscript, placeClaude, placeCodex, SID, THREAD, usage } from './fixtures.js';

const NO_SWEEP = 3_600_000;

async function start(dbPath: string, codexHome: string, claudeDir: string): Promise<RolloutEngine> {
  const engine = await RolloutEngine.start({ dbPath, codexHome, claudeDir, onChange: () => {}, sweepIntervalMs: NO_SWEEP, fullSweepIntervalMs: NO_SWEEP, liveWindowMs: 0 });
  onCleanup(() => engine.close());
  return engine;
}

const usageRows = (db: import('better-sqlite3').Database): number => (db.prepare('SELECT COUNT(*) AS n FROM usage_records').get() as { n: number }).n;

describe('history engine', () => {
  it('imports Claude and Codex history at start, then sees an append to an OLD file through its folder watch', async () => {
    const dir = createTempDirectory();
    const { db, dbPath } = openTestDb(dir);
    const claudeDir = path.join(dir, 'claude');
    const codexHome = path.join(dir, 'codex');
    const files = placeClaude(claudeDir, mainTranscript().slice(0, 3));
    const rollout = placeCodex(codexHome, codexRollout().slice(0, 4));
    const old = new Date(Date.now() - 30 * 86_400_000);
    for (const f of [files.main, files.agent, rollout]) fs.utimesSync(f, old, old);
    const engine = await start(dbPath, codexHome, claudeDir);
    await engine.flush();
    expect(usageRows(db)).toBe(1 + 2 + 1); // msg_1, the subagent's two, the first Codex step
    // No sweep will run (live window 0, sweeps an hour apart): only the folder watch can see these.
    fs.appendFileSync(files.main, mainTranscript().slice(3).map((l) => `${l}\n`).join(''));
    await waitFor('append to an old Claude file', () => usageRows(db) === 6, 5_000);
    fs.appendFileSync(rollout, codexRollout().slice(4).map((l) => `${l}\n`).join(''));
    await waitFor('append to an old rollout', () => usageRows(db) === 8, 5_000);
    // A new subagent folder appearing later is watched too.
    const sub = path.join(path.dirname(files.main), 'another-session', 'subagents');
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(sub, 'agent-zz.jsonl'), `${assistantLine('msg_new', 'req_new', 'claude-haiku-4-5', { type: 'text', text: 'x' }, usage(1, 1, 0, 0), '2026-11-22T00:00:00.000Z', { isSidechain: true, agentId: 'zz' })}\n`);
    await waitFor('file in a new folder', () => usageRows(db) === 9, 5_000);
    expect(db.prepare('SELECT parent_session_id FROM sessions WHERE id = ?').get('zz')).toEqual({ parent_session_id: SID });
    expect(db.prepare('SELECT harness FROM sessions WHERE id = ?').get(THREAD)).toEqual({ harness: 'codex' });
  });

  it('watches folders, not files: 300 history files in 3 folders take 3 + parents watches', async () => {
    const dir = createTempDirectory();
    const { dbPath } = openTestDb(dir);
    const codexHome = path.join(dir, 'codex');
    for (let d = 1; d <= 3; d++) {
      const day = path.join(codexHome, 'sessions', '2026', '10', String(d).padStart(2, '0'));
      fs.mkdirSync(day, { recursive: true });
      for (let i = 0; i < 100; i++) {
        const id = `019c0000-0000-7000-8000-${String(d * 1000 + i).padStart(12, '0')}`;
        fs.writeFileSync(path.join(day, `rollout-2026-10-0${d}T00-00-00-${id}.jsonl`), `${codexRollout(id).slice(0, 4).join('\n')}\n`);
      }
    }
    const engine = await start(dbPath, codexHome, path.join(dir, 'no-claude'));
    await engine.flush();
    expect(engine.status().files).toBe(300);
    // sessions, sessions/2026, sessions/2026/10, and the 3 day folders (archived_sessions and the Claude dir do not exist).
    expect(engine.watchedDirs()).toBe(6);
  });

  it('reads Claude history only while the consent file says Claude tracking is on', async () => {
    const dir = createTempDirectory();
    const { db, dbPath } = openTestDb(dir);
    const claudeDir = path.join(dir, 'claude');
    const files = placeClaude(claudeDir);
    const consent = path.join(dir, 'settings.json');
    fs.writeFileSync(consent, JSON.stringify({ agentMonitorEnabled: true, hooksEnabled: false, codexOptIn: false }));
    const engine = await RolloutEngine.start({ dbPath, codexHome: path.join(dir, 'codex'), claudeDir, claudeConsentFile: consent, onChange: () => {}, sweepIntervalMs: 50 });
    onCleanup(() => engine.close());
    await engine.flush();
    expect(usageRows(db)).toBe(0);
    fs.writeFileSync(consent, JSON.stringify({ agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: false }));
    await waitFor('history imported once tracking is on', () => usageRows(db) === 5, 5_000);
    // Tracking off again: an append is not read (the next tick drops the folder watches).
    fs.writeFileSync(consent, JSON.stringify({ agentMonitorEnabled: true, hooksEnabled: false, codexOptIn: false }));
    await engine.flush();
    const before = engine.watchedDirs();
    fs.appendFileSync(files.main, `${assistantLine('msg_off', 'req_off', 'claude-haiku-4-5', { type: 'text', text: 'x' }, usage(1, 1, 0, 0), '2026-11-22T00:00:00.000Z')}\n`);
    await engine.flush();
    expect(usageRows(db)).toBe(5);
    expect(before).toBe(0);
  });

  it('acts on a consent change at once, without waiting for the (idle, slow) tick, also when the file is replaced by rename', async () => {
    const dir = createTempDirectory();
    const { db, dbPath } = openTestDb(dir);
    const claudeDir = path.join(dir, 'claude');
    placeClaude(claudeDir);
    const consent = path.join(dir, 'settings.json');
    fs.writeFileSync(consent, JSON.stringify({ agentMonitorEnabled: true, hooksEnabled: false, codexOptIn: false }));
    // A 10-minute tick: only the consent file's watch can start the import within this test.
    const engine = await RolloutEngine.start({ dbPath, codexHome: path.join(dir, 'codex'), claudeDir, claudeConsentFile: consent, onChange: () => {}, sweepIntervalMs: 600_000 });
    onCleanup(() => engine.close());
    await engine.flush();
    expect(usageRows(db)).toBe(0);
    // As electron-store and conf write it: a temp file renamed over the old one.
    const tmp = `${consent}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ agentMonitorEnabled: true, hooksEnabled: false, codexOptIn: true }));
    fs.renameSync(tmp, consent);
    await new Promise((r) => setTimeout(r, 300));
    expect(usageRows(db)).toBe(0); // still off: the watch followed the rename and changed nothing
    fs.writeFileSync(tmp, JSON.stringify({ agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: true }));
    fs.renameSync(tmp, consent);
    await waitFor('history imported once tracking is on', () => usageRows(db) === 5, 5_000);
  });

  it('tells onStatus only what changed: sweeps that find nothing new do not wake the HTTP thread', async () => {
    const dir = createTempDirectory();
    const { db, dbPath } = openTestDb(dir);
    const claudeDir = path.join(dir, 'claude');
    const codexHome = path.join(dir, 'codex');
    const rollout = placeCodex(codexHome, codexRollout().slice(0, 4));
    const statuses: Array<{ files: number; lastImportAt: string | null }> = [];
    const engine = await RolloutEngine.start({ dbPath, codexHome, claudeDir, onChange: () => {}, onStatus: (s) => statuses.push(s), sweepIntervalMs: NO_SWEEP, fullSweepIntervalMs: NO_SWEEP });
    onCleanup(() => engine.close());
    await engine.flush();
    expect(usageRows(db)).toBe(1);
    const told = statuses.length;
    expect(statuses.at(-1)).toMatchObject({ files: 1 });
    expect(statuses.at(-1)!.lastImportAt).not.toBeNull();
    await engine.flush(); // full sweeps that find everything as it was
    await engine.flush();
    expect(statuses.length).toBe(told);
    fs.appendFileSync(rollout, codexRollout().slice(4).map((l) => `${l}\n`).join(''));
    await waitFor('append imported', () => usageRows(db) === 3, 5_000);
    await engine.flush();
    expect(statuses.length).toBeGreaterThan(told);
    expect(statuses.at(-1)).toEqual(engine.status());
  });
});
