// Incremental, async reader of Claude Code transcripts (JSONL). Upstream re-reads the whole file
// synchronously inside the write transaction on every event; this keeps a byte cursor and the
// running totals per file, so each event costs only the bytes appended since the last one.
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';

export interface TranscriptUsage {
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  /** Text of the newest assistant message that has text (a Stop hook without its final message gets it). */
  last_text?: string | null;
  /** When the newest assistant message is an API error Claude Code wrote (`isApiErrorMessage`): its text. */
  api_error?: string | null;
}

interface Cursor {
  ino: number;
  offset: number;
  partial: string;
  usage: TranscriptUsage;
  seen: Set<string>;
}

const emptyUsage = (): TranscriptUsage => ({ model: null, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, last_text: null, api_error: null });

function textOf(content: unknown): string | null {
  if (typeof content === 'string') return content || null;
  if (!Array.isArray(content)) return null;
  const texts = content.filter((b): b is { type: 'text'; text: string } => typeof b === 'object' && b !== null && (b as { type?: unknown }).type === 'text' && typeof (b as { text?: unknown }).text === 'string');
  return texts.length ? texts.map((b) => b.text).join('\n') : null;
}

function addLine(cursor: Cursor, line: string): void {
  if (!line.includes('"assistant"')) return; // cheap pre-filter: only assistant lines carry usage
  let entry: { type?: unknown; uuid?: unknown; isApiErrorMessage?: unknown; message?: { id?: unknown; model?: unknown; content?: unknown; usage?: Record<string, unknown> } };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return;
  }
  if (!entry || entry.type !== 'assistant' || !entry.message) return;
  const msg = entry.message;
  // Every line counts for the text (streaming writes a message's blocks on separate lines).
  const text = textOf(msg.content);
  if (entry.isApiErrorMessage === true) cursor.usage.api_error = text ?? 'API error';
  else if (text) {
    cursor.usage.last_text = text;
    cursor.usage.api_error = null;
  } else if (Array.isArray(msg.content) && msg.content.length) cursor.usage.api_error = null;
  // Streaming writes one message id on several lines; count each message once, as upstream does.
  const key = typeof msg.id === 'string' ? msg.id : typeof entry.uuid === 'string' ? entry.uuid : null;
  if (key) {
    if (cursor.seen.has(key)) return;
    cursor.seen.add(key);
  }
  if (typeof msg.model === 'string' && msg.model && msg.model !== '<synthetic>') cursor.usage.model = msg.model;
  const u = msg.usage;
  if (!u) return;
  cursor.usage.input_tokens += Number(u.input_tokens) || 0;
  cursor.usage.output_tokens += Number(u.output_tokens) || 0;
  cursor.usage.cache_read_tokens += Number(u.cache_read_input_tokens) || 0;
  cursor.usage.cache_write_tokens += Number(u.cache_creation_input_tokens) || 0;
}

const CHUNK = 1 << 20;

export class TranscriptCache {
  private readonly cursors = new Map<string, Cursor>();
  // One read at a time per file: concurrent hook posts for one session must not double-count.
  private readonly inflight = new Map<string, Promise<TranscriptUsage | null>>();

  constructor(private readonly maxFiles = 256) {}

  read(path: unknown): Promise<TranscriptUsage | null> {
    if (typeof path !== 'string' || !path) return Promise.resolve(null);
    const prev = this.inflight.get(path);
    if (!prev) {
      // Fast path: nothing appended since the last read. A synchronous stat costs microseconds
      // and spares every concurrent post of a session a queued async round trip.
      const cursor = this.cursors.get(path);
      if (cursor) {
        try {
          const st = statSync(path);
          if (st.ino === cursor.ino && st.size === cursor.offset) return Promise.resolve({ ...cursor.usage });
        } catch {
          return Promise.resolve(null);
        }
      }
    }
    const next = (prev ?? Promise.resolve(null)).then(() => this.advance(path)).catch(() => null);
    this.inflight.set(path, next);
    void next.finally(() => {
      if (this.inflight.get(path) === next) this.inflight.delete(path);
    });
    return next;
  }

  private async advance(path: string): Promise<TranscriptUsage | null> {
    let st;
    try {
      st = statSync(path);
    } catch {
      return null;
    }
    let cursor = this.cursors.get(path);
    if (!cursor || cursor.ino !== st.ino || st.size < cursor.offset) {
      // New, replaced or truncated file: start over.
      cursor = { ino: st.ino, offset: 0, partial: '', usage: emptyUsage(), seen: new Set() };
      this.remember(path, cursor);
    }
    if (st.size > cursor.offset) {
      const fh = await open(path, 'r');
      try {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, st.size - cursor.offset));
        while (cursor.offset < st.size) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, st.size - cursor.offset), cursor.offset);
          if (bytesRead === 0) break;
          cursor.offset += bytesRead;
          const text = cursor.partial + buf.toString('utf8', 0, bytesRead);
          const lines = text.split('\n');
          cursor.partial = lines.pop() ?? '';
          for (const line of lines) addLine(cursor, line);
        }
      } finally {
        await fh.close();
      }
    }
    return { ...cursor.usage };
  }

  private remember(path: string, cursor: Cursor): void {
    this.cursors.delete(path);
    this.cursors.set(path, cursor);
    if (this.cursors.size > this.maxFiles) {
      const oldest = this.cursors.keys().next().value;
      if (oldest !== undefined) this.cursors.delete(oldest);
    }
  }
}
