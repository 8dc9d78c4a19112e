// The session list's subagent tree against a real patched sidecar: children nested under their
// parent (at any depth) with their own tokens and cost and the parent's roll-up, paging that
// counts only top-level sessions, an orphan listed top-level with a marker, bad parent data that
// cannot loop, the live-refresh form (`?sessions=`), the session view's family, and a Codex
// subagent linked from its hooks (`agent_id`) and then from its rollout (`parent_thread_id`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postHook, startPatched, type RunningServer } from '../../scripts/lib/servers.js';
import { openDb, seedSessionTree } from '../../scripts/lib/seed.js';
import { costOf, defaultTable, ratesFor } from '../../src/sidecar/pricing/pricing.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

interface Money {
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number; total: number };
  cost: number | null;
  unpricedTokens: number;
  records: number;
}
interface Node {
  id: string;
  name: string | null;
  parent_session_id: string | null;
  usage: { own: Money & { exact: boolean }; total: Money };
  children: Node[];
  descendants: number;
  parent_unknown: boolean;
}
interface ListPage {
  sessions: Node[];
  next: string | null;
}

let sidecar: RunningServer;
let codexHome: string;
let n = 0;

const price = (model: string, t: { input: number; output: number; cacheRead?: number; cacheWrite?: number }): number =>
  costOf({ input: t.input, output: t.output, cacheRead: t.cacheRead ?? 0, cacheWrite: t.cacheWrite ?? 0 }, ratesFor(defaultTable(), model))!;

const minutesAgo = (m: number): string => new Date(Date.now() - m * 60_000).toISOString();

beforeAll(async () => {
  const dir = tempDir('am-session-tree-');
  codexHome = join(dir, 'codex-home');
  mkdirSync(join(codexHome, 'sessions', '2026', '11', '27'), { recursive: true });
  sidecar = await startPatched({ dir: join(dir, 'data'), codexHome });
  const db = openDb(sidecar.dbPath);
  seedSessionTree(db, [
    // The children are newer than their parent: their activity must not list them top-level.
    { id: 'tr-root', name: 'root task', updatedAt: minutesAgo(30), usage: [{ input: 1000, output: 200, cacheRead: 5000, cacheWrite: 300 }, { input: 500, output: 100 }] },
    { id: 'tr-child-a', parent: 'tr-root', name: 'helper A', model: 'claude-haiku-4-5', updatedAt: minutesAgo(1), usage: [{ input: 400, output: 80, cacheRead: 1000 }] },
    { id: 'tr-grand', parent: 'tr-child-a', name: 'helper A.1', updatedAt: minutesAgo(2), usage: [{ input: 100, output: 20 }] },
    { id: 'tr-child-b', parent: 'tr-root', name: 'helper B', model: 'acme-unpriced-1', updatedAt: minutesAgo(0.5), usage: [{ input: 50, output: 10 }] },
    { id: 'tr-orphan', parent: 'tr-never-seen', name: 'lost helper', updatedAt: minutesAgo(40), usage: [{ input: 10, output: 5 }] },
    { id: 'tr-self', parent: 'tr-self', updatedAt: minutesAgo(50) },
    { id: 'tr-loop-a', parent: 'tr-loop-b', updatedAt: minutesAgo(60) },
    { id: 'tr-loop-b', parent: 'tr-loop-a', updatedAt: minutesAgo(61) },
    ...Array.from({ length: 5 }, (_, i) => ({ id: `tr-plain-${i}`, updatedAt: minutesAgo(100 + i) })),
  ]);
  db.close();
}, 60_000);

afterAll(async () => {
  await sidecar?.stop();
});

async function allPages(limit: number, query = ''): Promise<{ pages: Node[][]; rows: Node[] }> {
  const pages: Node[][] = [];
  let cursor: string | null = null;
  do {
    const page: ListPage = await sidecar.get(`/api/session-list?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    pages.push(page.sessions);
    cursor = page.next;
  } while (cursor && pages.length < 50);
  return { pages, rows: pages.flat() };
}

function flatten(nodes: Node[]): string[] {
  return nodes.flatMap((x) => [x.id, ...flatten(x.children)]);
}

describe('session list: subagents nested under their parent', () => {
  test('paging counts top-level sessions only; every subagent appears once, nested', async () => {
    const { pages, rows } = await allPages(3, '&harness=claude');
    const top = rows.map((r) => r.id);
    expect(top).toEqual(['tr-root', 'tr-orphan', 'tr-self', 'tr-loop-a', ...Array.from({ length: 5 }, (_, i) => `tr-plain-${i}`)]);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 3]);
    // Everything seeded appears exactly once in the whole listing.
    const everything = flatten(rows);
    expect(new Set(everything).size).toBe(everything.length);
    expect(everything).toHaveLength(13);
    const root = rows.find((r) => r.id === 'tr-root')!;
    expect(root.children.map((c) => c.id)).toEqual(['tr-child-a', 'tr-child-b']);
    expect(root.children[0]!.children.map((c) => c.id)).toEqual(['tr-grand']);
    expect(root.descendants).toBe(3);
    // Two sessions naming each other (bad data): one lists the other below it, neither loops.
    const loop = rows.find((r) => r.id === 'tr-loop-a')!;
    expect(loop.children.map((c) => c.id)).toEqual(['tr-loop-b']);
    expect(loop.children[0]!.children).toEqual([]);
  });

  test('each row has its own tokens and cost; a parent rolls up every subagent below it', async () => {
    const { rows } = await allPages(50);
    const root = rows.find((r) => r.id === 'tr-root')!;
    const [a, b] = root.children;
    const grand = a!.children[0]!;
    const rootCost = price('claude-sonnet-4-5', { input: 1500, output: 300, cacheRead: 5000, cacheWrite: 300 });
    const aCost = price('claude-haiku-4-5', { input: 400, output: 80, cacheRead: 1000 });
    const grandCost = price('claude-sonnet-4-5', { input: 100, output: 20 });
    // The rates in numbers, so a changed table cannot silently change what is checked.
    expect([rootCost, aCost, grandCost]).toEqual([0.011625, 0.0009, 0.0006].map((x) => expect.closeTo(x, 12) as unknown as number));

    expect(root.usage.own).toMatchObject({ exact: true, records: 2, tokens: { input: 1500, output: 300, cacheRead: 5000, cacheWrite: 300, total: 7100 }, unpricedTokens: 0 });
    expect(root.usage.own.cost).toBeCloseTo(rootCost, 12);
    expect(a!.usage.own).toMatchObject({ tokens: { total: 1480 }, unpricedTokens: 0 });
    expect(a!.usage.own.cost).toBeCloseTo(aCost, 12);
    expect(a!.usage.total.tokens.total).toBe(1480 + 120);
    expect(a!.usage.total.cost).toBeCloseTo(aCost + grandCost, 12);
    expect(grand.usage.own.tokens.total).toBe(120);
    expect(grand.usage.total.tokens).toEqual(grand.usage.own.tokens);
    expect(grand.usage.total.cost).toBe(grand.usage.own.cost);
    // A model without a price: its tokens count, its cost is "no price" (null), never guessed.
    expect(b!.usage.own).toMatchObject({ tokens: { total: 60 }, cost: null, unpricedTokens: 60 });
    expect(root.usage.total.tokens).toEqual({ input: 1500 + 400 + 100 + 50, output: 300 + 80 + 20 + 10, cacheRead: 6000, cacheWrite: 300, reasoning: 0, total: 7100 + 1480 + 120 + 60 });
    expect(root.usage.total.cost).toBeCloseTo(rootCost + aCost + grandCost, 12);
    expect(root.usage.total.unpricedTokens).toBe(60);
    expect(root.usage.total.records).toBe(5);
  });

  test('a subagent whose parent is unknown is listed top-level with a marker; a session without records shows its counters, unpriced', async () => {
    const { rows } = await allPages(50);
    const orphan = rows.find((r) => r.id === 'tr-orphan')!;
    expect(orphan).toMatchObject({ parent_session_id: 'tr-never-seen', parent_unknown: true, children: [] });
    expect(orphan.usage.own.tokens.total).toBe(15);
    expect(rows.find((r) => r.id === 'tr-root')!.parent_unknown).toBe(false);
    expect(rows.find((r) => r.id === 'tr-self')!.parent_unknown).toBe(false);
    const plain = rows.find((r) => r.id === 'tr-plain-0')!;
    expect(plain.usage.own).toMatchObject({ exact: false, records: 0, cost: null, tokens: { total: 0 } });
  });

  test('?sessions= answers the trees that hold the named sessions (a live refresh), whatever page they are on', async () => {
    const page = await sidecar.get<ListPage>('/api/session-list?sessions=tr-grand,tr-plain-4,tr-orphan');
    expect(page.next).toBeNull();
    expect(page.sessions.map((s) => s.id).sort()).toEqual(['tr-orphan', 'tr-plain-4', 'tr-root']);
    const root = page.sessions.find((s) => s.id === 'tr-root')!;
    expect(flatten([root])).toEqual(['tr-root', 'tr-child-a', 'tr-grand', 'tr-child-b']);
    // Filters still apply to the top-level session.
    const codexOnly = await sidecar.get<ListPage>('/api/session-list?sessions=tr-grand&harness=codex');
    expect(codexOnly.sessions).toEqual([]);
  });

  test('the session view names the parent and lists the subagents with their numbers', async () => {
    const child = await sidecar.get<{ family: { parent: { id: string; name: string } | null; unknownParentId: string | null; children: Node[]; usage: Node['usage'] } }>('/api/sessions/tr-child-a/timeline?limit=1');
    expect(child.family.parent).toMatchObject({ id: 'tr-root', name: 'root task' });
    expect(child.family.children.map((c) => c.id)).toEqual(['tr-grand']);
    expect(child.family.usage.total.tokens.total).toBe(1600);
    const root = await sidecar.get<{ family: { parent: unknown; children: Node[]; descendants: number; usage: Node['usage'] } }>('/api/sessions/tr-root/timeline?limit=1');
    expect(root.family.parent).toBeNull();
    expect(root.family.descendants).toBe(3);
    expect(root.family.children.map((c) => [c.id, c.usage.own.tokens.total])).toEqual([['tr-child-a', 1480], ['tr-child-b', 60]]);
    expect(root.family.usage.total.tokens.total).toBe(8760);
    const orphan = await sidecar.get<{ family: { parent: unknown; unknownParentId: string | null } }>('/api/sessions/tr-orphan/timeline?limit=1');
    expect(orphan.family).toMatchObject({ parent: null, unknownParentId: 'tr-never-seen' });
  });
});

describe('Codex subagents: linked by the hooks, then by the rollout', () => {
  test("a hook's agent_id nests the subagent under the root thread; its rollout names the parent and adds exact tokens", async () => {
    const cwd = '/home/dev/src/cx';
    const post = async (hookType: string, data: Record<string, unknown>): Promise<void> => {
      const r = await postHook(sidecar, hookType, { __delivery_id: `tree-${++n}`, __provider: 'codex', cwd, ...data });
      expect(r.status, r.body).toBe(200);
    };
    const root = '019c0000-0000-7000-8000-00000000aa01';
    const sub = '019c0000-0000-7000-8000-00000000aa02';
    await post('SessionStart', { session_id: root, source: 'startup', model: 'gpt-5' });
    await post('PreToolUse', { session_id: root, agent_id: sub, agent_type: 'default', turn_id: 'turn-sub-1', tool_name: 'Bash', tool_use_id: 'call_sub_1', tool_input: { command: 'echo sub' } });
    let list = await sidecar.get<ListPage>('/api/session-list?harness=codex&limit=50');
    expect(list.sessions.map((s) => s.id)).toEqual([root]);
    expect(list.sessions[0]!.children.map((c) => [c.id, c.parent_session_id])).toEqual([[sub, root]]);

    // The subagent's rollout (the real 0.169.0 shape: source.subagent.thread_spawn) with two responses.
    const usage = (input: number, cached: number, output: number, reasoning: number): Record<string, number> => ({
      input_tokens: input, cached_input_tokens: cached, output_tokens: output, reasoning_output_tokens: reasoning, total_tokens: input + output,
    });
    const lines = [
      { type: 'session_meta', payload: { id: sub, session_id: root, parent_thread_id: root, timestamp: '2026-11-27T10:00:00.000Z', cwd, originator: 'codex_exec', cli_version: '0.169.0', source: { subagent: { thread_spawn: { parent_thread_id: root, depth: 1, agent_path: null, agent_nickname: 'Galileo', agent_role: null } } }, thread_source: 'subagent', agent_nickname: 'Galileo', model_provider: 'fake' } },
      { type: 'turn_context', payload: { turn_id: 'turn-sub-1', cwd, model: 'gpt-5' } },
      { type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: usage(700, 100, 40, 10), last_token_usage: usage(700, 100, 40, 10), model_context_window: 272000 } } },
      { type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: usage(1500, 300, 90, 25), last_token_usage: usage(800, 200, 50, 15), model_context_window: 272000 } } },
    ].map((l, i) => JSON.stringify({ timestamp: `2026-11-27T10:00:0${i}.000Z`, ...l }));
    writeFileSync(join(codexHome, 'sessions', '2026', '11', '27', `rollout-2026-11-27T10-00-00-${sub}.jsonl`), `${lines.join('\n')}\n`);

    const child = await waitFor('the subagent rollout imported', async () => {
      list = await sidecar.get<ListPage>('/api/session-list?harness=codex&limit=50');
      const c = list.sessions[0]?.children[0];
      return c && c.usage.own.records === 2 ? c : null;
    });
    expect(list.sessions.map((s) => s.id)).toEqual([root]);
    expect(child).toMatchObject({ id: sub, name: 'Galileo', parent_session_id: root });
    // Input net of cached, output including reasoning (docs/contracts.md "Token accounting").
    expect(child.usage.own.tokens).toEqual({ input: 1200, output: 90, cacheRead: 300, cacheWrite: 0, reasoning: 25, total: 1590 });
    expect(child.usage.own.cost).toBeCloseTo(price('gpt-5', { input: 1200, output: 90, cacheRead: 300 }), 12);
    expect(list.sessions[0]!.usage.total.tokens.total).toBe(list.sessions[0]!.usage.own.tokens.total + 1590);
  });
});
