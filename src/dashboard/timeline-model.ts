/**
 * Turns a session's events into timeline items: one item per tool call (PreToolUse paired with
 * PostToolUse / PostToolUseFailure / PermissionDenied by call id), prompts, final messages,
 * attention requests and the rest as small markers. Pure (no DOM), so pages can be added at the
 * top (older) and live events at the bottom without rebuilding what is shown.
 */
import type { TimelineEvent } from './api.js';

export interface ToolItem {
  kind: 'tool';
  key: string;
  pre: TimelineEvent | null;
  /** PostToolUse / PostToolUseFailure. */
  post: TimelineEvent | null;
  /** PermissionDenied of this call. */
  denied: TimelineEvent | null;
}
export interface EventItem {
  kind: 'prompt' | 'message' | 'attention' | 'marker';
  key: string;
  event: TimelineEvent;
}
export type Item = ToolItem | EventItem;

const POST_TYPES = new Set(['PostToolUse', 'PostToolUseFailure']);
const ATTENTION_TYPES = new Set(['PermissionRequest', 'Notification', 'Elicitation']);

export function itemEvents(item: Item): TimelineEvent[] {
  if (item.kind !== 'tool') return [item.event];
  return [item.pre, item.post, item.denied].filter((e): e is TimelineEvent => e !== null);
}

/** The event ids an item shows (a search hit opens the item holding its event). */
export function itemIds(item: Item): number[] {
  return itemEvents(item).map((e) => e.id);
}

export function itemFailure(item: Item): string | null {
  if (item.kind !== 'tool') return item.event.failure;
  return item.denied?.failure ?? item.post?.failure ?? null;
}

/** Milliseconds the call took: the agent's own figure, else Post time minus Pre time. */
export function itemDuration(item: ToolItem): number | null {
  if (item.post?.duration_ms != null) return item.post.duration_ms;
  if (!item.pre || !item.post) return null;
  const ms = Date.parse(item.post.created_at) - Date.parse(item.pre.created_at);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

function isToolEvent(e: TimelineEvent): boolean {
  return e.hook_type === 'PreToolUse' || POST_TYPES.has(e.hook_type) || (e.hook_type === 'PermissionDenied' && e.call_id !== null);
}

function eventKind(e: TimelineEvent): EventItem['kind'] {
  if (e.hook_type === 'UserPromptSubmit') return 'prompt';
  if ((e.hook_type === 'Stop' || e.hook_type === 'SubagentStop' || e.hook_type === 'StopFailure') && (e.text || e.failure)) return 'message';
  if (ATTENTION_TYPES.has(e.hook_type)) return 'attention';
  return 'marker';
}

function place(item: ToolItem, e: TimelineEvent): void {
  if (e.hook_type === 'PreToolUse') item.pre = e;
  else if (e.hook_type === 'PermissionDenied') item.denied = e;
  else item.post = e;
}

export interface Change {
  /** New items, in display order, to put at the top (prepend) or bottom (append). */
  added: Item[];
  /** Items already shown whose content changed (re-render in place). */
  updated: Item[];
}

export class TimelineModel {
  readonly items: Item[] = [];
  private readonly calls = new Map<string, ToolItem>();
  private readonly seen = new Set<number>();

  has(eventId: number): boolean {
    return this.seen.has(eventId);
  }

  get size(): number {
    return this.seen.size;
  }

  /** Builds items for `events` (ascending); pairs with calls already shown when possible. */
  private build(events: TimelineEvent[]): Change {
    const added: Item[] = [];
    const updated = new Set<Item>();
    for (const e of events) {
      if (this.seen.has(e.id)) continue;
      this.seen.add(e.id);
      if (isToolEvent(e)) {
        const key = e.call_id ? `call:${e.call_id}` : `ev:${e.id}`;
        const existing = e.call_id ? this.calls.get(key) : undefined;
        if (existing) {
          place(existing, e);
          if (!added.includes(existing)) updated.add(existing);
          continue;
        }
        const item: ToolItem = { kind: 'tool', key, pre: null, post: null, denied: null };
        place(item, e);
        if (e.call_id) this.calls.set(key, item);
        added.push(item);
      } else {
        added.push({ kind: eventKind(e), key: `ev:${e.id}`, event: e });
      }
    }
    return { added, updated: [...updated] };
  }

  /** An older page (ascending). */
  prepend(events: TimelineEvent[]): Change {
    const change = this.build(events);
    this.items.unshift(...change.added);
    return change;
  }

  /** Newer events (ascending), e.g. one live event. */
  append(events: TimelineEvent[]): Change {
    const change = this.build(events);
    this.items.push(...change.added);
    return change;
  }

  findByEvent(eventId: number): Item | undefined {
    return this.items.find((i) => itemIds(i).includes(eventId));
  }
}
