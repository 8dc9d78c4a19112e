// Helpers for tests that run the real CLIs: temp roots, a capture hook, reading what it captured,
// finding Codex rollouts, and turning captured data into path-independent fixtures.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CAPTURE_HOOK = join(dirname(fileURLToPath(import.meta.url)), 'capture-hook.mjs');

/** The placeholder that replaces a run's temp root in saved fixtures. */
export const FIXTURE_ROOT = '/tmp/FIXTURE';

export const CODEX_EVENTS = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop', 'SessionEnd'] as const;
export const CLAUDE_EVENTS = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop', 'SessionEnd'] as const;

export interface TempLayout {
  /** The temp root; everything below lives inside it. */
  root: string;
  /** CODEX_HOME. */
  codexHome: string;
  /** HOME for the child (Claude reads `$HOME/.claude`). */
  home: string;
  /** Working folder of the agent. */
  cwd: string;
  /** Where the capture hook appends. */
  hooksOut: string;
  cleanup(): void;
}

export function makeTempLayout(prefix = 'am-real-'): TempLayout {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const layout: TempLayout = {
    root,
    codexHome: join(root, 'codex-home'),
    home: join(root, 'home'),
    cwd: join(root, 'work'),
    hooksOut: join(root, 'hooks.jsonl'),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  for (const d of [layout.codexHome, layout.home, layout.cwd]) mkdirSync(d, { recursive: true });
  return layout;
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Shell command that runs the capture hook for `event`, appending to `outFile`. */
export function captureHookCommand(event: string, outFile: string): string {
  return [process.execPath, CAPTURE_HOOK, event, outFile].map(shQuote).join(' ');
}

type HookGroups = Record<string, Array<{ matcher?: string; hooks: Array<{ type: 'command'; command: string; timeout?: number }> }>>;

function captureGroups(events: readonly string[], outFile: string, matcher: boolean): HookGroups {
  const groups: HookGroups = {};
  for (const e of events) {
    // SessionEnd/Interrupt timeouts are capped (Codex clamps them to 3 s and warns), so only the
    // other events get an explicit timeout.
    const handler =
      e === 'SessionEnd' || e === 'Interrupt'
        ? { type: 'command' as const, command: captureHookCommand(e, outFile) }
        : { type: 'command' as const, command: captureHookCommand(e, outFile), timeout: 30 };
    groups[e] = [matcher ? { matcher: '', hooks: [handler] } : { hooks: [handler] }];
  }
  return groups;
}

/** Write `$CODEX_HOME/hooks.json` with one capture handler per event. Returns the path. */
export function writeCodexCaptureHooks(codexHome: string, outFile: string, events: readonly string[] = CODEX_EVENTS): string {
  const file = join(codexHome, 'hooks.json');
  writeFileSync(file, JSON.stringify({ hooks: captureGroups(events, outFile, false) }, null, 2) + '\n');
  return file;
}

/** Write `$HOME/.claude/settings.json` with one capture handler per event. Returns the path. */
export function writeClaudeCaptureHooks(home: string, outFile: string, events: readonly string[] = CLAUDE_EVENTS): string {
  const dir = join(home, '.claude');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'settings.json');
  writeFileSync(file, JSON.stringify({ hooks: captureGroups(events, outFile, true) }, null, 2) + '\n');
  return file;
}

export interface CapturedHook {
  event: string;
  /** stdin exactly as received. */
  raw: string;
  payload: Record<string, unknown>;
  at: string;
  /** Size of `transcript_path` when the hook ran; -1 = file absent; null = no transcript_path. */
  transcriptBytes: number | null;
}

export function readCaptured(outFile: string): CapturedHook[] {
  if (!existsSync(outFile)) return [];
  return readFileSync(outFile, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const o = JSON.parse(l) as { event: string; raw: string; at: string; transcriptBytes?: number | null };
      return { ...o, transcriptBytes: o.transcriptBytes ?? null, payload: JSON.parse(o.raw) as Record<string, unknown> };
    });
}

export function countByEvent(hooks: CapturedHook[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const h of hooks) counts[h.event] = (counts[h.event] ?? 0) + 1;
  return counts;
}

/** All rollout files below `$CODEX_HOME/sessions`, recursively. */
export function findRollouts(codexHome: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.startsWith('rollout-') && e.name.endsWith('.jsonl')) out.push(p);
    }
  };
  walk(join(codexHome, 'sessions'));
  return out.sort();
}

export type JsonLine = Record<string, unknown> & { type?: string; payload?: Record<string, unknown> };

export function readJsonl(file: string): JsonLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as JsonLine);
}

/** Byte offset just past each line (including its newline), in file order. */
export function lineEndOffsets(file: string): number[] {
  const buf = readFileSync(file);
  const ends: number[] = [];
  for (let i = 0; i < buf.length; i++) if (buf[i] === 0x0a) ends.push(i + 1);
  return ends;
}

/** Replace every spelling of the temp root (plain, and Claude's munged project-folder form). */
export function sanitizePaths(text: string, root: string): string {
  const munged = (s: string): string => s.replace(/[^a-zA-Z0-9]/g, '-');
  return text.split(root).join(FIXTURE_ROOT).split(munged(root)).join(munged(FIXTURE_ROOT));
}

/** Write captured hooks as `hooks/NN-Event.json` (stdin bytes as received, paths sanitized). */
export function saveHookFixtures(dir: string, hooks: CapturedHook[], root: string): void {
  rmSync(join(dir, 'hooks'), { recursive: true, force: true });
  mkdirSync(join(dir, 'hooks'), { recursive: true });
  hooks.forEach((h, i) => {
    const name = `${String(i + 1).padStart(2, '0')}-${h.event}.json`;
    writeFileSync(join(dir, 'hooks', name), sanitizePaths(h.raw, root));
  });
}

export function saveTextFixture(file: string, text: string, root: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, sanitizePaths(text, root));
}
