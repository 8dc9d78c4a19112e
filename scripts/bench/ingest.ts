/**
 * Benchmark: hook ingestion through `POST /api/hooks/event`, the UNPATCHED upstream
 * (vendor/agent-monitor) against the PATCHED build (build/agent-monitor), same run, same machine.
 *
 * Cases: concurrency 1 and 16 × no transcript / a 20 MB Claude transcript referenced by every
 * event. Each (server, case, run) gets a fresh server process and a fresh DB, so the patched
 * server's first (full) read of the 20 MB transcript is inside the measurement. Every event has a
 * unique tool_use_id, so the patched server's dedup never skips one. Figures are the median of
 * `runs` runs; p50/p99 are per-request latencies of the median run.
 *
 * Run: npx tsx scripts/bench/ingest.ts [--runs N]     (or `npm run bench`, which includes it)
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PATCHED_ENTRY, postHook, postRaw, preToolUse, startPatched, startUpstream, writeClaudeTranscript } from '../lib/servers.js';
import { benchRunsArg, runCli } from '../lib/cli.js';
import { isMainModule } from '../lib/is-main.js';

// ---------------------------------------------------------------------------------------------
// The benchmark

export interface IngestCase {
  server: 'upstream' | 'patched';
  transcript: 'none' | '20 MB';
  concurrency: number;
}

export interface IngestRow extends IngestCase {
  events: number;
  runs: number;
  /** median over runs */
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** events/s of every run, for the record */
  perRun: number[];
}

interface RunResult {
  eventsPerSec: number;
  latencies: number[];
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

async function runOnce(c: IngestCase, events: number, transcriptPath: string | undefined, root: string): Promise<RunResult> {
  const dir = mkdtempSync(join(root, `${c.server}-`));
  const server = c.server === 'patched' ? await startPatched({ dir }) : await startUpstream({ dir });
  const agent = new http.Agent({ keepAlive: true, maxSockets: c.concurrency });
  try {
    // Warm-up: JIT, statement cache, sockets; no transcript so the measured run pays the first read.
    const warm = Array.from({ length: c.concurrency }, (_, w) => postHook(server, 'PreToolUse', preToolUse('warm-up', `warm-${w}-${randomUUID()}`), { agent }));
    for (const r of await Promise.all(warm)) if (r.status !== 200) throw new Error(`warm-up post answered ${r.status}: ${r.body}`);

    const latencies: number[] = [];
    let next = 0;
    const worker = async (w: number): Promise<void> => {
      const sessionId = `bench-${w}`;
      for (;;) {
        const i = next++;
        if (i >= events) return;
        const body = JSON.stringify({ hook_type: 'PreToolUse', data: preToolUse(sessionId, `toolu_${i}_${randomUUID()}`, transcriptPath) });
        const t0 = process.hrtime.bigint();
        const r = await postRaw(server, body, { agent });
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (r.status !== 200) throw new Error(`${c.server} answered ${r.status}: ${r.body.slice(0, 200)}`);
      }
    };
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: c.concurrency }, (_, w) => worker(w)));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    latencies.sort((a, b) => a - b);
    return { eventsPerSec: events / seconds, latencies };
  } finally {
    agent.destroy();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface IngestBenchOptions {
  runs?: number;
  /** events per run for the fast cases (default 4000) */
  events?: number;
  /** events per run for the upstream with a 20 MB transcript (default 24; each one re-reads 20 MB) */
  slowEvents?: number;
  transcriptBytes?: number;
  log?: (msg: string) => void;
}

export async function runIngestBench(opts: IngestBenchOptions = {}): Promise<IngestRow[]> {
  const runs = Math.max(3, opts.runs ?? 3);
  const events = opts.events ?? 4000;
  const slowEvents = opts.slowEvents ?? 24;
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  if (!existsSync(PATCHED_ENTRY)) throw new Error(`${PATCHED_ENTRY} is missing: run \`npm run build\` first`);
  const root = mkdtempSync(join(tmpdir(), 'am-bench-ingest-'));
  const transcriptPath = join(root, 'transcripts', 'claude-20mb.jsonl');
  writeClaudeTranscript(transcriptPath, opts.transcriptBytes ?? 20 * 1024 * 1024);
  const rows: IngestRow[] = [];
  try {
    for (const transcript of ['none', '20 MB'] as const) {
      for (const concurrency of [1, 16]) {
        // Upstream and patched runs alternate, so machine load drifts hit both alike.
        const results: Record<'upstream' | 'patched', RunResult[]> = { upstream: [], patched: [] };
        const count = (server: 'upstream' | 'patched'): number =>
          server === 'upstream' && transcript === '20 MB' ? Math.max(slowEvents, concurrency) : events;
        for (let r = 0; r < runs; r++) {
          for (const server of ['upstream', 'patched'] as const) {
            results[server].push(await runOnce({ server, transcript, concurrency }, count(server), transcript === 'none' ? undefined : transcriptPath, root));
          }
        }
        for (const server of ['upstream', 'patched'] as const) {
          const byRate = [...results[server]].sort((a, b) => a.eventsPerSec - b.eventsPerSec);
          const median = byRate[Math.floor(byRate.length / 2)]!;
          const row: IngestRow = {
            server,
            transcript,
            concurrency,
            events: count(server),
            runs,
            eventsPerSec: Math.round(median.eventsPerSec),
            p50Ms: round2(percentile(median.latencies, 50)),
            p99Ms: round2(percentile(median.latencies, 99)),
            perRun: results[server].map((x) => Math.round(x.eventsPerSec)),
          };
          rows.push(row);
          log(`ingest ${server} transcript=${transcript} c=${concurrency}: ${row.eventsPerSec} events/s (runs ${row.perRun.join(', ')}), p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms`);
        }
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

export function ingestBenchMarkdown(rows: IngestRow[]): string {
  const lines = [
    '| server | transcript | concurrency | events/run | events/s (median) | p50 ms | p99 ms | events/s per run |',
    '|---|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.server} | ${r.transcript} | ${r.concurrency} | ${r.events} | ${r.eventsPerSec} | ${r.p50Ms} | ${r.p99Ms} | ${r.perRun.join(', ')} |`);
  }
  const find = (server: string, transcript: string, c: number): IngestRow | undefined =>
    rows.find((r) => r.server === server && r.transcript === transcript && r.concurrency === c);
  const checks: string[] = [];
  for (const c of [1, 16]) {
    const none = find('patched', 'none', c);
    const big = find('patched', '20 MB', c);
    if (none && big) {
      const ratio = none.eventsPerSec / Math.max(1, big.eventsPerSec);
      checks.push(`- patched, c=${c}: 20 MB transcript costs ${ratio.toFixed(2)}× the no-transcript time per event (target ≤ 2×): ${ratio <= 2 ? 'met' : 'MISSED'}`);
    }
  }
  const p16 = find('patched', 'none', 16);
  if (p16) checks.push(`- patched, no transcript, c=16: ${p16.eventsPerSec} events/s (target ≥ 4,000): ${p16.eventsPerSec >= 4000 ? 'met' : 'MISSED'}`);
  return `${lines.join('\n')}\n\n${checks.join('\n')}`;
}

if (isMainModule(import.meta.url)) {
  runCli(async () => {
    const runs = benchRunsArg(process.argv.slice(2), { script: 'ingest.ts', defaultRuns: 3 });
    console.log(ingestBenchMarkdown(await runIngestBench({ runs })));
  });
}
