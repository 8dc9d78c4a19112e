/**
 * The host's additions to the upstream dashboard (public/app.js): the source and harness badges
 * and the harness filter control. Typed and unit-tested here; esbuild bundles this module into an
 * IIFE that patches/host-dashboard-helpers.ts places after upstream's `const $ = …`, where the
 * upstream globals it needs (`el`, `state`, `renderSessions`) exist. They are passed in rather
 * than assumed, so the contract with upstream is this file's `Upstream` type.
 */

/** What this module needs from upstream's app.js. */
export interface Upstream {
  /** Upstream's element helper: el(tag, className, text). */
  el: (tag: string, cls?: string, text?: string) => HTMLElement;
  /** Upstream's state object; the host adds `harnessFilter`. */
  state: { harnessFilter?: string };
  renderSessions: () => void;
  document: Document;
  location: { search: string };
}

export type SourceLabel = 'both' | 'hook' | 'rollout' | '';

/** Which collectors saw an event or session: "hook", "rollout", or both (from a comma list). */
export function sourceLabel(seenBy: string | null | undefined): SourceLabel {
  const parts = String(seenBy || '').split(',').filter(Boolean);
  const hook = parts.includes('hook');
  const rollout = parts.includes('rollout');
  if (hook && rollout) return 'both';
  return rollout ? 'rollout' : hook ? 'hook' : '';
}

export function sourceBadge(up: Pick<Upstream, 'el'>, seenBy: string | null | undefined): HTMLElement {
  const label = sourceLabel(seenBy);
  const badge = up.el('span', `badge source source-${label || 'unknown'}`, label || '?');
  badge.title = label === 'both' ? 'seen by the hook and the rollout file' : `seen by the ${label} only`;
  return badge;
}

export function harnessBadge(up: Pick<Upstream, 'el'>, harness: string | null | undefined): HTMLElement {
  const name = harness === 'codex' ? 'codex' : 'claude';
  const badge = up.el('span', `badge harness harness-${name}`, name === 'codex' ? 'Codex' : 'Claude');
  badge.title = name === 'codex' ? 'OpenAI Codex CLI session' : 'Claude Code session';
  return badge;
}

export const HARNESS_OPTIONS: ReadonlyArray<readonly [value: string, text: string]> = [
  ['', 'All'],
  ['claude', 'Claude Code'],
  ['codex', 'Codex'],
];

/** Adds the host stylesheet, the status banner script and the harness filter (initialised from `?harness=`) to the toolbar. */
export function installHostUi(up: Upstream): void {
  const doc = up.document;
  const link = doc.createElement('link');
  link.rel = 'stylesheet';
  link.href = '/host.css';
  doc.head.append(link);
  // Named before the page finishes loading, so the browser does not ask for a /favicon.ico (a 404).
  const icon = doc.createElement('link');
  icon.rel = 'icon';
  icon.type = 'image/svg+xml';
  icon.href = '/favicon.svg';
  doc.head.append(icon);
  // The data-loss / degraded banner (src/sidecar/host/public/host-status.js, served next to host.css).
  const status = doc.createElement('script');
  status.src = '/host-status.js';
  doc.head.append(status);
  const label = up.el('label', 'harness-filter', 'Agent ');
  const select = doc.createElement('select');
  select.id = 'harness-filter';
  for (const [value, text] of HARNESS_OPTIONS) {
    const option = doc.createElement('option');
    option.value = value;
    option.textContent = text;
    select.append(option);
  }
  select.value = new URLSearchParams(up.location.search).get('harness') || '';
  up.state.harnessFilter = select.value;
  select.addEventListener('change', () => {
    up.state.harnessFilter = select.value;
    up.renderSessions();
  });
  label.append(select);
  doc.getElementById('toolbar')?.prepend(label);
  loadUsagePanels(doc);
}

/** The usage panels (src/dashboard/usage/, bundled to public/usage.js); they add their own stylesheet. */
export function loadUsagePanels(doc: Document): void {
  const script = doc.createElement('script');
  script.src = '/usage.js';
  script.defer = true;
  doc.head.append(script);
}
