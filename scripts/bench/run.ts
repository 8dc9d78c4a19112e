/**
 * `npm run bench [-- --write] [--runs N] [--only ingest,handler,rollout,history] [--history-mb 100] [--idle-files 50000] [--idle-seconds 60]`
 *
 * Runs the benchmarks and prints markdown tables:
 *   - Hook ingestion (scripts/bench/ingest.ts): upstream vs patched, POST /api/hooks/event
 *   - Hook handler   (scripts/bench/handler.ts, if present): runHandlerBench
 *   - Rollout import (scripts/bench/rollout.ts, if present): runRolloutBench
 *   - Hook transports (scripts/bench/transport.ts): per hook, per agent, before/after, up/down/hung
 *   - Dashboard      (scripts/bench/dashboard.ts): search, list, timeline, hook → screen [--events N]
 *   - History import, charts, idle cost (scripts/bench/history.ts): runHistoryBench
 *   - Team view (scripts/bench/team-view.ts): team routes' p50/p99 on an embedded PostgreSQL [--team-events N] [--team-machines M]
 *   - Team sync      (scripts/bench/team-push.ts): push throughput, catch-up after 1 h offline, CPU
 * With --write, replaces each section's generated block in docs/benchmarks.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ingestBenchMarkdown, runIngestBench } from './ingest.js';
import { runTransportBench, transportBenchMarkdown } from './transport.js';
import { dashboardBenchMarkdown, runDashboardBench } from './dashboard.js';
import { historyBenchMarkdown, runHistoryBench } from './history.js';
import { runTeamViewBench, teamViewBenchMarkdown, TEAM_VIEW_DEFAULT_EVENTS, TEAM_VIEW_DEFAULT_MACHINES } from './team-view.js';
import { runTeamPushBench, teamPushBenchMarkdown } from './team-push.js';
import { parseCli, runCli, UsageError } from '../lib/cli.js';
import { isMainModule } from '../lib/is-main.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DOC = resolve(HERE, '..', '..', 'docs', 'benchmarks.md');

type SectionKey = 'ingest' | 'handler' | 'rollout' | 'transport' | 'dashboard' | 'history' | 'team-view' | 'team-push';

export const SECTIONS: Record<SectionKey, { title: string; command: string }> = {
  ingest: { title: 'Hook ingestion', command: 'npm run bench -- --only ingest --write' },
  handler: { title: 'Hook handler', command: 'npm run bench -- --only handler --write' },
  rollout: { title: 'Rollout import', command: 'npm run bench -- --only rollout --write' },
  transport: { title: 'Hook transports', command: 'npm run bench -- --only transport --write' },
  dashboard: { title: 'Dashboard reads', command: 'npm run bench -- --only dashboard --write' },
  history: { title: 'History import, charts and idle cost', command: 'npm run bench -- --only history --write' },
  'team-view': { title: 'Team view queries', command: 'npm run bench -- --only team-view --write' },
  'team-push': { title: 'Team sync to PostgreSQL', command: 'npm run bench -- --only team-push --write' },
};

const USAGE = `usage: npm run bench -- [--write] [--runs <n>] [--only <sections>]
  --write           replace each section's generated block in docs/benchmarks.md
  --runs <n>        repetitions per case (a positive integer; default per section)
  --only <list>     comma-separated: ${Object.keys(SECTIONS).join(', ')} (default: all)
  --history-mb <n>  history: megabytes of generated Claude transcripts and Codex rollouts
  --idle-files <n>  history: files on disk for the idle-cost case (0: skip it)
  --idle-seconds <n> history: how long the idle sidecar is sampled
  --events <n>      dashboard: stored events for the search and paging cases
  --team-events <n> team-view: events seeded into the embedded PostgreSQL (default ${TEAM_VIEW_DEFAULT_EVENTS}; the recorded figure uses 10000000)
  --team-machines <n> team-view: machines they come from (default ${TEAM_VIEW_DEFAULT_MACHINES})`;

export interface BenchArgs {
  write: boolean;
  runs: number | undefined;
  only: Set<SectionKey>;
  help: boolean;
  historyMB: number | undefined;
  idleFiles: number | undefined;
  idleSeconds: number | undefined;
  events: number | undefined;
  teamEvents: number | undefined;
  teamMachines: number | undefined;
}

/** --idle-files 0 skips the idle-cost case (its own figures, minutes long at 50,000 files). */
function nonNegativeNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n >= 0) || !Number.isFinite(n)) throw new UsageError(`--${name} takes a number ≥ 0, got "${value}"`, USAGE);
  return n;
}

function positiveNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`--${name} takes a positive number, got "${value}"`, USAGE);
  return n;
}

function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`--${name} takes a positive integer, got "${value}"`, USAGE);
  return Number(value);
}

/** Strict: unknown options, stray arguments and options missing their value are rejected. */
export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseCli({
    argv,
    usage: USAGE,
    options: {
      write: { type: 'boolean', default: false },
      runs: { type: 'string' },
      only: { type: 'string' },
      'history-mb': { type: 'string' },
      'idle-files': { type: 'string' },
      'idle-seconds': { type: 'string' },
      events: { type: 'string' },
      'team-events': { type: 'string' },
      'team-machines': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  let runs: number | undefined;
  if (values.runs !== undefined) {
    if (!/^[1-9]\d*$/.test(values.runs)) throw new UsageError(`--runs takes a positive integer, got "${values.runs}"`, USAGE);
    runs = Number(values.runs);
  }
  const only = new Set<SectionKey>();
  for (const name of (values.only ?? Object.keys(SECTIONS).join(',')).split(',').map((x) => x.trim())) {
    if (!Object.hasOwn(SECTIONS, name)) throw new UsageError(`--only: unknown section "${name}"`, USAGE);
    only.add(name as SectionKey);
  }
  return {
    write: values.write,
    runs,
    only,
    help: values.help,
    historyMB: positiveNumber('history-mb', values['history-mb']),
    idleFiles: nonNegativeNumber('idle-files', values['idle-files']),
    idleSeconds: positiveNumber('idle-seconds', values['idle-seconds']),
    events: positiveNumber('events', values.events),
    teamEvents: positiveInteger('team-events', values['team-events']),
    teamMachines: positiveInteger('team-machines', values['team-machines']),
  };
}

function machine(): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' / ');
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}, load avg ${load} at the end of the run`;
}

/** A generic markdown table for result rows of a bench module that has no formatter of its own. */
function genericTable(rows: unknown): string {
  if (!Array.isArray(rows) || rows.length === 0 || typeof rows[0] !== 'object') return '```\n' + JSON.stringify(rows, null, 2) + '\n```';
  const cols = Object.keys(rows[0] as object);
  const cell = (v: unknown): string => (Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
  return [
    `| ${cols.join(' | ')} |`,
    `|${cols.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${cols.map((c) => cell((r as Record<string, unknown>)[c])).join(' | ')} |`),
  ].join('\n');
}

type BenchModule = Record<string, unknown>;

async function loadOptional(file: string): Promise<BenchModule | null> {
  const full = join(HERE, file);
  if (!existsSync(full)) return null;
  return (await import(pathToFileURL(full).href)) as BenchModule;
}

async function runOptional(key: 'handler' | 'rollout', file: string, runName: string, mdNames: string[], runs?: number): Promise<string | null> {
  const mod = await loadOptional(file);
  const run = mod?.[runName];
  if (!mod || typeof run !== 'function') {
    console.log(`\n(skipping ${SECTIONS[key].title}: scripts/bench/${file} with ${runName}() is not there yet)`);
    return null;
  }
  const rows = await (run as (o: { runs?: number }) => Promise<unknown>)(runs ? { runs } : {});
  const md = mdNames.map((n) => mod[n]).find((f) => typeof f === 'function') as ((r: unknown) => string) | undefined;
  return md ? md(rows) : genericTable(rows);
}

/** Replaces (or appends) the generated block of one section in docs/benchmarks.md. */
export function updateDoc(doc: string, key: SectionKey, body: string, when: string, machineLine: string): string {
  const start = `<!-- bench:${key}:start -->`;
  const end = `<!-- bench:${key}:end -->`;
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const block = `${start}\nMeasured ${when} on ${machineLine}.\n\nCommand: \`${command}\` (this section alone: \`${SECTIONS[key].command}\`)\n\n${body}\n${end}`;
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a >= 0 && b > a) return doc.slice(0, a) + block + doc.slice(b + end.length);
  const heading = `## ${SECTIONS[key].title}`;
  const h = doc.indexOf(heading);
  if (h >= 0) {
    const next = doc.indexOf('\n## ', h + heading.length);
    const insertAt = next >= 0 ? next : doc.length;
    return `${doc.slice(0, insertAt).trimEnd()}\n\n${block}\n${doc.slice(insertAt)}`;
  }
  return `${doc.trimEnd()}\n\n${heading}\n\n${block}\n`;
}

async function main(): Promise<void> {
  const { write, runs, only, help, historyMB, idleFiles, idleSeconds, events, teamEvents, teamMachines } = parseBenchArgs(process.argv.slice(2));
  if (help) return console.log(USAGE);
  const results: Partial<Record<SectionKey, string>> = {};

  if (only.has('ingest')) {
    const rows = await runIngestBench({ runs: runs ?? 3 });
    results.ingest = ingestBenchMarkdown(rows);
    console.log(`\n## ${SECTIONS.ingest.title}\n\n${results.ingest}`);
  }
  if (only.has('handler')) {
    const md = await runOptional('handler', 'handler.ts', 'runHandlerBench', ['handlerBenchMarkdown'], runs);
    if (md) {
      results.handler = md;
      console.log(`\n## ${SECTIONS.handler.title}\n\n${md}`);
    }
  }
  if (only.has('rollout')) {
    const md = await runOptional('rollout', 'rollout.ts', 'runRolloutBench', ['rolloutBenchMarkdown', 'toMarkdown'], runs);
    if (md) {
      results.rollout = md;
      console.log(`\n## ${SECTIONS.rollout.title}\n\n${md}`);
    }
  }

  if (only.has('transport')) {
    results.transport = transportBenchMarkdown(await runTransportBench(runs ? { runs } : {}));
    console.log(`\n## ${SECTIONS.transport.title}\n\n${results.transport}`);
  }
  if (only.has('history')) {
    const rows = await runHistoryBench({ historyMB, idleFiles, idleSeconds, ...(runs ? { runs } : {}) });
    results.history = historyBenchMarkdown(rows);
    console.log(`\n## ${SECTIONS.history.title}\n\n${results.history}`);
  }

  if (only.has('dashboard')) {
    const rows = await runDashboardBench(events ? { events } : {});
    results.dashboard = dashboardBenchMarkdown(rows);
    console.log(`\n## ${SECTIONS.dashboard.title}\n\n${results.dashboard}`);
  }

  if (only.has('team-view')) {
    const r = await runTeamViewBench({ events: teamEvents, machines: teamMachines, ...(runs ? { runs } : {}) });
    results['team-view'] = teamViewBenchMarkdown(r);
    console.log(`\n## ${SECTIONS['team-view'].title}\n\n${results['team-view']}`);
  }
  if (only.has('team-push')) {
    const rows = await runTeamPushBench(runs ? { runs } : {});
    results['team-push'] = teamPushBenchMarkdown(rows);
    console.log(`\n## ${SECTIONS['team-push'].title}\n\n${results['team-push']}`);
  }

  if (write) {
    const when = new Date().toISOString().slice(0, 10);
    const m = machine();
    let doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Benchmarks\n';
    for (const key of Object.keys(results) as SectionKey[]) doc = updateDoc(doc, key, results[key]!, when, m);
    writeFileSync(DOC, doc.endsWith('\n') ? doc : `${doc}\n`);
    console.log(`\nupdated ${DOC}`);
  }
}

const isMain = isMainModule(import.meta.url);
if (isMain) {
  runCli(main);
}
