/**
 * Benchmark: the dashboard's reads at scale, through the running patched sidecar over HTTP.
 *
 * One database holds ~1,000,000 events: 100,000 sessions with a prompt each, one session with
 * 50,000 events (25,000 tool calls), and the rest as tool calls (command + output) spread over
 * 1,000 sessions. Every row is indexed by the same triggers a live insert fires.
 *
 *  - search: GET /api/search for a rare command, a common word, a phrase and a prefix, p50/p99;
 *    baseline in the same run: the scan a search without the index does (`data LIKE '%…%'`).
 *  - list first page over the 100,000 sessions, a fifth of them subagents nested under another
 *    (GET /api/session-list, unfiltered and filtered: rows priced, parents rolled up);
 *    baseline: upstream's GET /api/sessions (200 newest, same server).
 *  - timeline first page of the 50,000-event session (GET /api/sessions/:id/timeline, newest);
 *    baseline: upstream's GET /api/sessions/:id/events (oldest page, same size).
 *  - hook → "needs you" on screen: a PermissionRequest posted as the handler posts it, until the
 *    dashboard in headless Chromium shows the session in its "Needs you" list, p50/p99.
 *
 * Run: npx tsx scripts/bench/dashboard.ts [--events N] [--requests N]   (or `npm run bench -- --only dashboard [--events N]`)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postHook, startPatched, type RunningServer } from '../lib/servers.js';
import { openDb, seedManySessions, seedSession } from '../lib/seed.js';
import { isMainModule } from '../lib/is-main.js';
import { summarizeEvent } from '../../src/shared/events.js';
import { launchChromium } from '../lib/browser.js';


export interface DashboardBenchOptions {
  /** Total events in the database (default 1,000,000). */
  events?: number;
  /** Requests per measured query (default 200). */
  requests?: number;
}

export interface DashboardRow {
  measure: string;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  target: string;
  baseline: string;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
const round = (x: number): number => Math.round(x * 100) / 100;

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function get(server: RunningServer, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get({ host: '127.0.0.1', port: server.port, path, agent }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

async function measure(server: RunningServer, paths: string[], n: number): Promise<{ p50: number; p99: number; n: number }> {
  for (const p of paths) await get(server, p); // warm-up: statement cache, page cache
  const lat: number[] = [];
  for (let i = 0; i < n; i++) lat.push(await get(server, paths[i % paths.length]!));
  lat.sort((a, b) => a - b);
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), n };
}

const VERBS = ['npm test', 'npm run build', 'cargo test -p', 'cargo build --release -p', 'git diff', 'pytest -k', 'go test ./', 'make', 'rg -n', 'ls -la'];
const WORDS = ['parser', 'checkout', 'billing', 'auth', 'router', 'cache', 'ledger', 'search', 'upload', 'metrics', 'queue', 'schema'];

/** Tool calls over `sessions` sessions until `events` events are written. */
function seedToolEvents(db: ReturnType<typeof openDb>, events: number, sessions: number): void {
  const insert = db.prepare(`INSERT INTO events (session_id, hook_type, tool_name, summary, data, created_at, source, seen_by, dedup_key)
                             VALUES (?, ?, 'Bash', ?, ?, ?, 'hook', 'hook', ?)`);
  const insertSession = db.prepare(`INSERT OR IGNORE INTO sessions (id, status, cwd, model, started_at, updated_at, harness, event_count)
                                    VALUES (?, 'completed', ?, 'claude-sonnet-4-5', ?, ?, 'claude', ?)`);
  const t0 = Date.now() - 30 * 86_400_000;
  const calls = Math.floor(events / 2);
  const perSession = Math.ceil(calls / sessions);
  const BATCH = 20_000;
  for (let start = 0; start < calls; start += BATCH) {
    db.transaction(() => {
      for (let i = start; i < Math.min(calls, start + BATCH); i++) {
        const s = `tools-${Math.floor(i / perSession)}`;
        if (i % perSession === 0) insertSession.run(s, `/home/dev/src/project-${i % 40}`, new Date(t0 + i * 1000).toISOString(), new Date(t0 + i * 1000).toISOString(), perSession * 2);
        const command = `${VERBS[i % VERBS.length]} ${WORDS[(i >> 3) % WORDS.length]}-${i % 9973}`;
        const base = { session_id: s, tool_name: 'Bash', tool_use_id: `call-${i}`, tool_input: { command } };
        const at = new Date(t0 + i * 1000).toISOString();
        insert.run(s, 'PreToolUse', summarizeEvent('PreToolUse', base), JSON.stringify(base), at, `pre:call-${i}`);
        const post = { ...base, tool_response: { stdout: `${WORDS[i % WORDS.length]} ok in ${i % 997} ms\n${i % 50} tests passed`, stderr: '' } };
        insert.run(s, 'PostToolUse', summarizeEvent('PostToolUse', post), JSON.stringify(post), at, `post:call-${i}`);
      }
    })();
  }
}

/**
 * The list's subagent trees: every 5th bulk session becomes a subagent of the one before it (a
 * fifth of the sessions are nested, never counted by the paging), and every session gets one usage
 * record, so a page prices its rows and rolls its parents up as it does for real history.
 */
function seedSubagents(db: ReturnType<typeof openDb>, sessions: number, prefix: string): void {
  const nest = db.prepare('UPDATE sessions SET parent_session_id = ? WHERE id = ?');
  const usage = db.prepare(`INSERT OR IGNORE INTO usage_records (usage_key, session_id, harness, model, turn_id, at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, context_tokens, source_file)
                            SELECT 'bench:' || id, id, harness, model, NULL, updated_at, 1200, 300, 4000, 200, 0, NULL, 'bench' FROM sessions WHERE id = ?`);
  db.transaction(() => {
    for (let i = 0; i < sessions; i++) {
      if (i % 5 === 4) nest.run(`${prefix}-${i - 1}`, `${prefix}-${i}`);
      usage.run(`${prefix}-${i}`);
    }
  })();
}

async function hookToScreen(server: RunningServer, samples: number): Promise<{ p50: number; p99: number; n: number } | null> {
  const { browser } = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    await page.goto(`${server.url}/`);
    await page.waitForSelector('.conn.live');
    const lat: number[] = [];
    for (let i = 0; i < samples + 3; i++) {
      const id = `bench-attention-${i}`;
      // A string, not a function: tsx would add helpers to a function that the page lacks.
      const seen = page.evaluate<number>(`new Promise((resolve) => {
        const found = () => document.querySelector('.cards.needs .card[data-id="${id}"]') !== null;
        const obs = new MutationObserver(() => {
          if (found()) { obs.disconnect(); resolve(Date.now()); }
        });
        obs.observe(document.body, { childList: true, subtree: true });
      })`);
      await page.evaluate('new Promise((r) => requestAnimationFrame(() => r(null)))'); // observer armed
      const t0 = Date.now();
      const r = await postHook(server, 'PermissionRequest', { session_id: id, cwd: '/home/dev/src/app', tool_name: 'Bash', tool_input: { command: `rm -rf build-${i}/` }, __delivery_id: `bench-${i}` });
      if (r.status !== 200) throw new Error(`PermissionRequest: HTTP ${r.status}`);
      const shownAt = await seen;
      if (i >= 3) lat.push(shownAt - t0); // first three: warm-up
      await postHook(server, 'Stop', { session_id: id, __delivery_id: `bench-stop-${i}` });
    }
    lat.sort((a, b) => a - b);
    return { p50: percentile(lat, 50), p99: percentile(lat, 99), n: lat.length };
  } finally {
    await browser.close();
  }
}

export async function runDashboardBench(opts: DashboardBenchOptions = {}): Promise<DashboardRow[]> {
  const total = opts.events ?? 1_000_000;
  const n = opts.requests ?? 200;
  const root = mkdtempSync(join(tmpdir(), 'am-bench-dashboard-'));
  const server = await startPatched({ dir: root });
  try {
    const db = openDb(server.dbPath);
    const t = Date.now();
    const sessions = Math.min(100_000, Math.max(1000, Math.floor(total / 10)));
    const longEvents = Math.min(50_000, Math.floor(total / 20) * 2);
    seedManySessions(db, sessions, { prefix: 'list' });
    seedSubagents(db, sessions, 'list');
    seedSession(db, { sessionId: 'long-session', calls: longEvents / 2, start: new Date(Date.now() - 86_400_000) });
    seedToolEvents(db, Math.max(0, total - sessions - longEvents), 1000);
    const count = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    const sessionCount = (db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    console.log(`(dashboard bench: ${count.toLocaleString()} events in ${sessionCount.toLocaleString()} sessions written in ${((Date.now() - t) / 1000).toFixed(0)} s, search index included)`);

    const rows: DashboardRow[] = [];
    const q = (s: string): string => `/api/search?q=${encodeURIComponent(s)}&limit=50`;
    const searches = [q('cargo test -p parser-1234'), q('checkout'), q('npm run build'), q('ledg'), q('tests passed')];
    const search = await measure(server, searches, n);
    // Baseline: the same questions answered by scanning the stored JSON (no index), a few times.
    const scanDb = openDb(server.dbPath);
    const scan = scanDb.prepare("SELECT id FROM events WHERE data LIKE '%' || ? || '%' ORDER BY id DESC LIMIT 50");
    const scanMs = (term: string): number => {
      const t0 = performance.now();
      scan.all(term);
      return performance.now() - t0;
    };
    scan.all('warm-up');
    const rareScan = scanMs('parser-1234');
    const missScan = scanMs('no-such-command-anywhere');
    scanDb.close();
    rows.push({ measure: `search over ${count.toLocaleString()} events (5 query kinds)`, requests: search.n, p50Ms: round(search.p50), p99Ms: round(search.p99), target: 'p99 < 100 ms', baseline: `LIKE scan of the stored JSON, no index (in-process): ${round(rareScan)} ms for a rare command, ${round(missScan)} ms for a word found nowhere` });

    const upstreamList = await measure(server, ['/api/sessions'], Math.min(n, 50));
    const list = await measure(server, ['/api/session-list?limit=50'], n);
    rows.push({ measure: `session list, first page of ${sessionCount.toLocaleString()} sessions`, requests: list.n, p50Ms: round(list.p50), p99Ms: round(list.p99), target: 'p99 < 50 ms', baseline: `upstream GET /api/sessions (200 rows): p50 ${round(upstreamList.p50)} ms` });
    const filtered = await measure(server, ['/api/session-list?limit=50&harness=codex', `/api/session-list?limit=50&cwd=${encodeURIComponent('/home/dev/src/project-7')}`, '/api/session-list?limit=50&status=waiting'], n);
    rows.push({ measure: 'session list, first page, filtered (agent / folder / status)', requests: filtered.n, p50Ms: round(filtered.p50), p99Ms: round(filtered.p99), target: 'p99 < 50 ms', baseline: '' });

    const upstreamEvents = await measure(server, ['/api/sessions/long-session/events?limit=200'], Math.min(n, 50));
    const timeline = await measure(server, ['/api/sessions/long-session/timeline?limit=200'], n);
    rows.push({ measure: `timeline, newest page (200) of a ${longEvents.toLocaleString()}-event session`, requests: timeline.n, p50Ms: round(timeline.p50), p99Ms: round(timeline.p99), target: 'p99 < 50 ms', baseline: `upstream GET …/events (oldest 200): p50 ${round(upstreamEvents.p50)} ms` });

    const screen = await hookToScreen(server, Math.min(n, 100));
    if (screen) rows.push({ measure: 'hook → "needs you" on screen (Chromium)', requests: screen.n, p50Ms: round(screen.p50), p99Ms: round(screen.p99), target: 'p99 < 300 ms', baseline: '' });
    return rows;
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

export function dashboardBenchMarkdown(rows: DashboardRow[]): string {
  return [
    '| measure | requests | p50 ms | p99 ms | target | baseline (same run) |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.measure} | ${r.requests} | ${r.p50Ms} | ${r.p99Ms} | ${r.target} | ${r.baseline} |`),
  ].join('\n');
}

if (isMainModule(import.meta.url)) {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  runDashboardBench({ events: arg('--events'), requests: arg('--requests') }).then(
    (rows) => console.log(dashboardBenchMarkdown(rows)),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
