/**
 * Session export (docs/contracts.md "Export"): Markdown — a readable transcript (prompts, tool
 * calls with their input and output, final messages, failures) — and JSON — the stored events
 * as they are in the database, `data` parsed. Both stream the events in timeline order, so a
 * 50,000-event session is never built as one string.
 */
import type { ServerResponse } from 'node:http';
import type Database from 'better-sqlite3';
import { parseData, timelineRow } from './timeline.js';

function fileName(session: Record<string, unknown>, ext: string): string {
  const id = String(session.id).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  return `session-${id}.${ext}`;
}

function iterate(db: Database.Database, sessionId: string): IterableIterator<{ id: number; session_id: string; hook_type: string; tool_name: string | null; summary: string | null; data: string | null; created_at: string; source: string | null; seen_by: string | null; dedup_key: string | null }> {
  return db
    .prepare('SELECT id, session_id, hook_type, tool_name, summary, data, created_at, source, seen_by, dedup_key FROM events WHERE session_id = ? ORDER BY created_at, id')
    .iterate(sessionId) as never;
}

/** A fenced block whose fence is longer than any backtick run inside the text. */
export function fence(text: string, lang = ''): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}${lang}\n${text.replace(/\n$/, '')}\n${f}`;
}

function quote(text: string): string {
  return text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}

function pretty(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  return JSON.stringify(v, null, 2);
}

/** The tool's input as the user would read it: the command / the patch / the path, else JSON. */
function toolInput(input: unknown): { text: string; lang: string } {
  if (input && typeof input === 'object') {
    const o = input as Record<string, unknown>;
    if (typeof o.command === 'string') return { text: o.command, lang: /^\*\*\* Begin Patch/.test(o.command) ? 'diff' : 'sh' };
    if (typeof o.patch === 'string') return { text: o.patch, lang: 'diff' };
  }
  return { text: pretty(input), lang: 'json' };
}

function toolOutput(response: unknown): string {
  if (response && typeof response === 'object') {
    const o = response as Record<string, unknown>;
    const parts = [o.stdout, o.stderr].filter((x): x is string => typeof x === 'string' && x.length > 0);
    if (parts.length) return parts.join('\n');
  }
  return pretty(response);
}

function time(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function markdownForEvent(hookType: string, toolName: string | null, createdAt: string, data: Record<string, unknown>, failure: string | null): string | null {
  const at = time(createdAt);
  const fail = failure ? `\n\n**Failed:** ${failure}` : '';
  switch (hookType) {
    case 'SessionStart':
      return `_${at} · session started${typeof data.source === 'string' ? ` (${data.source})` : ''}_`;
    case 'UserPromptSubmit':
      return `## Prompt · ${at}\n\n${quote(typeof data.prompt === 'string' ? data.prompt : '')}`;
    case 'PreToolUse': {
      const input = toolInput(data.tool_input);
      return `### ${toolName ?? 'Tool'} · ${at}\n\n${fence(input.text, input.lang)}`;
    }
    case 'PostToolUse':
    case 'PostToolUseFailure': {
      const out = hookType === 'PostToolUse' ? toolOutput(data.tool_response) : pretty(data.error);
      return `Output of ${toolName ?? 'the tool'}:\n\n${fence(out)}${fail}`;
    }
    case 'PermissionRequest':
      return `**Asked for approval** · ${at}: ${toolName ?? 'tool'} ${toolInput(data.tool_input).text}`;
    case 'PermissionDenied':
    case 'StopFailure':
    case 'Interrupt':
      return `**${hookType}** · ${at}${fail}`;
    case 'Stop':
    case 'SubagentStop': {
      const msg = typeof data.last_assistant_message === 'string' ? data.last_assistant_message : '';
      return `## ${hookType === 'Stop' ? 'Agent' : 'Subagent'} · ${at}\n\n${msg}${fail}`;
    }
    case 'Notification':
    case 'Elicitation':
      return `_${at} · ${hookType}: ${typeof data.message === 'string' ? data.message : ''}_`;
    case 'SessionEnd':
      return `_${at} · session ended${typeof data.reason === 'string' ? ` (${data.reason})` : ''}_`;
    default:
      return null;
  }
}

export function exportMarkdown(db: Database.Database, session: Record<string, unknown>, res: ServerResponse): void {
  res.writeHead(200, {
    'Content-Type': 'text/markdown; charset=utf-8',
    'Content-Disposition': `attachment; filename="${fileName(session, 'md')}"`,
  });
  const agent = session.harness === 'codex' ? 'Codex' : 'Claude Code';
  res.write(
    `# ${agent} session ${String(session.id)}\n\n` +
      `- Folder: ${typeof session.cwd === 'string' ? session.cwd : 'unknown'}\n- Model: ${typeof session.model === 'string' ? session.model : 'unknown'}\n` +
      `- Started: ${String(session.started_at)}\n- Last activity: ${String(session.updated_at)}\n- Events: ${String(session.event_count)}\n`,
  );
  let buf = '';
  for (const row of iterate(db, String(session.id))) {
    const data = parseData(row.data);
    const md = markdownForEvent(row.hook_type, row.tool_name, row.created_at, data, timelineRow(row, data).failure);
    if (md === null) continue;
    buf += `\n${md}\n`;
    if (buf.length > 64 * 1024) {
      res.write(buf);
      buf = '';
    }
  }
  res.end(buf);
}

export function exportJson(db: Database.Database, session: Record<string, unknown>, res: ServerResponse): void {
  res.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Disposition': `attachment; filename="${fileName(session, 'json')}"`,
  });
  res.write(`{"session":${JSON.stringify(session)},"events":[`);
  let buf = '';
  let first = true;
  for (const row of iterate(db, String(session.id))) {
    buf += `${first ? '' : ','}\n${JSON.stringify({ ...row, data: row.data === null ? null : parseData(row.data) })}`;
    first = false;
    if (buf.length > 64 * 1024) {
      res.write(buf);
      buf = '';
    }
  }
  res.end(`${buf}\n]}\n`);
}
