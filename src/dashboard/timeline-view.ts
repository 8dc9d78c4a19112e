/** DOM for timeline items and their expanded detail (input, output, diffs, folded long text). */
import { api, type EventDetail, type TimelineEvent } from './api.js';
import { fmtClock, fmtDuration, h } from './dom.js';
import { itemDuration, itemFailure, itemIds, type Item, type ToolItem } from './timeline-model.js';

/** Lines of a long output shown before "Show all". */
export const FOLD_LINES = 30;

function toolLabel(item: ToolItem): string {
  return item.pre?.tool_name ?? item.post?.tool_name ?? item.denied?.tool_name ?? 'Tool';
}

function toolSummary(item: ToolItem): string {
  const s = item.pre?.summary ?? item.post?.summary ?? item.denied?.summary ?? '';
  const name = toolLabel(item);
  return s.startsWith(`${name}: `) ? s.slice(name.length + 2) : s === name ? '' : s;
}

function statusOf(item: Item): { cls: string; label: string } {
  const failure = itemFailure(item);
  if (failure) return { cls: 'fail', label: failure };
  if (item.kind === 'tool') return item.post ? { cls: 'ok', label: 'done' } : { cls: 'running', label: 'no result yet' };
  return { cls: '', label: '' };
}

const ATTENTION_LABEL: Record<string, string> = {
  PermissionRequest: 'Asked for approval',
  Elicitation: 'Asked a question',
  Notification: 'Notification',
};

/** The row for one item: a clickable head, and a body filled when first opened. */
export function renderItem(item: Item): HTMLLIElement {
  const failure = itemFailure(item);
  const li = h('li.tl-item', { 'data-key': item.key, 'data-event-ids': itemIds(item).join(' ') });
  li.classList.add(`tl-${item.kind}`);
  if (failure) li.classList.add('tl-failed');
  const first = item.kind === 'tool' ? (item.pre ?? item.post ?? item.denied)! : item.event;
  const time = h('time.tl-time', { datetime: first.created_at }, fmtClock(first.created_at));

  let head: HTMLElement;
  if (item.kind === 'tool') {
    const st = statusOf(item);
    const dur = itemDuration(item);
    head = h(
      'button.tl-head',
      { type: 'button', 'aria-expanded': 'false' },
      time,
      h('span.tl-icon', { 'data-status': st.cls, title: st.label, 'aria-label': st.label }),
      h('span.tl-tool', null, toolLabel(item)),
      h('code.tl-summary', null, toolSummary(item)),
      failure ? h('span.tl-failure', null, failure) : null,
      h('span.tl-dur', null, fmtDuration(dur)),
    );
  } else {
    const e = item.event;
    const who = item.kind === 'prompt' ? 'You' : item.kind === 'message' ? (e.hook_type === 'SubagentStop' ? 'Subagent' : 'Agent') : item.kind === 'attention' ? (ATTENTION_LABEL[e.hook_type] ?? e.hook_type) : e.hook_type;
    const text = item.kind === 'marker' || item.kind === 'attention' ? (e.summary ?? e.text ?? '') : (e.text ?? e.summary ?? '');
    head = h(
      'button.tl-head',
      { type: 'button', 'aria-expanded': 'false' },
      time,
      h('span.tl-who', null, who),
      h(item.kind === 'marker' ? 'span.tl-summary' : 'span.tl-text', null, text),
      failure ? h('span.tl-failure', null, failure) : null,
    );
  }
  const body = h('div.tl-body', { hidden: true });
  head.addEventListener('click', () => void toggle(li, item, head, body));
  li.append(head, body);
  return li;
}

export async function toggle(li: HTMLElement, item: Item, head: HTMLElement, body: HTMLElement, open?: boolean): Promise<void> {
  const willOpen = open ?? body.hidden;
  body.hidden = !willOpen;
  li.classList.toggle('open', willOpen);
  head.setAttribute('aria-expanded', String(willOpen));
  if (!willOpen || body.dataset.loaded) return;
  body.dataset.loaded = '1';
  body.append(h('div.tl-loading', null, 'Loading…'));
  try {
    const details = await Promise.all(itemIds(item).map((id) => api.event(id).then((r) => r.event)));
    body.replaceChildren(...renderDetail(item, details));
  } catch (err) {
    delete body.dataset.loaded;
    body.replaceChildren(h('div.tl-error', null, `Could not load the event: ${(err as Error).message}`));
  }
}

/** Opens an item's row (used when a search hit jumps to it). */
export function openRow(li: HTMLElement, item: Item): Promise<void> {
  const head = li.querySelector<HTMLElement>('.tl-head')!;
  const body = li.querySelector<HTMLElement>('.tl-body')!;
  return toggle(li, item, head, body, true);
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function pretty(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  return JSON.stringify(v, null, 2);
}

/** Long text folded to FOLD_LINES lines with a "Show all" button. */
export function folded(text: string, cls = 'tl-pre'): HTMLElement {
  const lines = text.split('\n');
  const pre = h('pre', { class: cls });
  if (lines.length <= FOLD_LINES + 5 && text.length <= 6000) {
    pre.textContent = text;
    return pre;
  }
  pre.textContent = lines.length > FOLD_LINES ? lines.slice(0, FOLD_LINES).join('\n') : text.slice(0, 6000);
  const more = h('button.tl-more', { type: 'button' }, `Show all (${lines.length} lines, ${text.length.toLocaleString()} characters)`);
  more.addEventListener('click', () => {
    pre.textContent = text;
    more.remove();
  });
  return h('div.tl-fold', null, pre, more);
}

/** A unified diff / apply_patch text with added and removed lines coloured. */
export function diffView(text: string): HTMLElement {
  const pre = h('pre.tl-pre.tl-diff');
  for (const line of text.split('\n')) {
    const cls = /^\+(?!\+\+)/.test(line) ? 'add' : /^-(?!--)/.test(line) ? 'del' : /^(@@|\*\*\* )/.test(line) ? 'hunk' : '';
    pre.append(h('span', cls ? { class: cls } : null, `${line}\n`));
  }
  return pre;
}

function isPatch(text: string): boolean {
  return /^\*\*\* Begin Patch/m.test(text) || /^(diff --git|--- |@@ )/m.test(text);
}

function section(title: string, ...content: Array<Node | null>): HTMLElement {
  return h('section.tl-section', null, h('h4', null, title), ...content);
}

function inputView(toolName: string | null, input: unknown): HTMLElement[] {
  if (!input || typeof input !== 'object') return [section('Input', folded(pretty(input)))];
  const o = input as Record<string, unknown>;
  const out: HTMLElement[] = [];
  const path = str(o.file_path) ?? str(o.path);
  if (path) out.push(section('File', h('code.tl-path', null, path)));
  const command = str(o.command);
  if (command !== null) out.push(section(isPatch(command) ? 'Patch' : 'Command', isPatch(command) ? diffView(command) : folded(command, 'tl-pre tl-cmd')));
  else if (str(o.patch)) out.push(section('Patch', diffView(str(o.patch)!)));
  else if (str(o.old_string) !== null && str(o.new_string) !== null) {
    const diff = [...str(o.old_string)!.split('\n').map((l) => `-${l}`), ...str(o.new_string)!.split('\n').map((l) => `+${l}`)].join('\n');
    out.push(section('Change', diffView(diff)));
  } else if (str(o.content) !== null) out.push(section(toolName === 'Write' ? 'Content written' : 'Content', folded(str(o.content)!)));
  const rest = Object.fromEntries(Object.entries(o).filter(([k]) => !['command', 'file_path', 'path', 'patch', 'old_string', 'new_string', 'content'].includes(k)));
  if (Object.keys(rest).length) out.push(section(out.length ? 'Other input' : 'Input', folded(pretty(rest))));
  return out;
}

function outputText(response: unknown): string {
  if (response && typeof response === 'object') {
    const o = response as Record<string, unknown>;
    const parts = [str(o.stdout), str(o.stderr)].filter((x): x is string => !!x);
    if (parts.length) return parts.join('\n');
    if (o.file && typeof o.file === 'object' && str((o.file as Record<string, unknown>).content)) return str((o.file as Record<string, unknown>).content)!;
  }
  return pretty(response);
}

export function renderDetail(item: Item, details: EventDetail[]): HTMLElement[] {
  const byType = (t: string): EventDetail | undefined => details.find((d) => d.hook_type === t);
  const out: HTMLElement[] = [];
  if (item.kind === 'tool') {
    const pre = byType('PreToolUse');
    const post = byType('PostToolUse') ?? byType('PostToolUseFailure');
    const input = pre?.data.tool_input ?? post?.data.tool_input;
    out.push(...inputView(pre?.tool_name ?? post?.tool_name ?? null, input));
    if (post?.hook_type === 'PostToolUse') {
      const text = outputText(post.data.tool_response);
      out.push(section(post.exit_code !== null ? `Output · exit code ${post.exit_code}` : 'Output', text ? folded(text, 'tl-pre tl-out') : h('p.tl-muted', null, '(no output)')));
    }
    const failure = itemFailure(item);
    if (failure) out.push(section('Failure', h('p.tl-failure-text', null, failure)));
    if (!post && !byType('PermissionDenied')) out.push(h('p.tl-muted', null, 'No result recorded for this call (still running, refused, or interrupted).'));
  } else {
    const d = details[0];
    if (d) {
      const text = str(d.data.prompt) ?? str(d.data.last_assistant_message) ?? str(d.data.message) ?? str(d.data.error);
      if (text) out.push(folded(text, 'tl-pre tl-prose'));
      if (d.data.tool_input !== undefined) out.push(...inputView(d.tool_name, d.data.tool_input));
    }
  }
  // History rows keep a preview of long fields; the rest is read from the agent's file on demand.
  for (const d of details) {
    const back = d.readBack;
    if (!back || back.state === 'complete') continue;
    const why = back.state === 'missing' ? `its file ${back.file} is gone`
      : back.state === 'changed' ? `its file ${back.file} no longer holds that line`
      : `part of it could not be read back from ${back.file}`;
    out.push(h('p.tl-muted.tl-source-note', null, `Shortened when imported from history, and ${why}: showing the stored preview.`));
  }
  const raw = h('details.tl-raw', null, h('summary', null, 'Stored events (JSON)'), h('pre.tl-pre', null, JSON.stringify(details, null, 2)));
  out.push(raw);
  return out;
}

/** Re-renders a row in place, keeping it open (with fresh detail) if it was. */
export function replaceRow(old: HTMLElement, item: Item): HTMLLIElement {
  const wasOpen = old.classList.contains('open');
  const next = renderItem(item);
  old.replaceWith(next);
  if (wasOpen) void openRow(next, item);
  return next;
}

export type { TimelineEvent };
