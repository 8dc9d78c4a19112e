/**
 * Subagent tree: sessions with their child sessions nested under them (collapsed until
 * expanded), each row with its own tokens and cost and, for a parent, the roll-up.
 */
import type { SessionUsage } from './api.js';
import { costBadge, el, sessionTitle, tokens } from './format.js';

export interface TreeOptions {
  onSelect: (id: string) => void;
  selectedId?: string | null;
  /** Roots shown (most recent first); default 200. */
  limit?: number;
  /** Ids of expanded nodes, kept by the caller so a refresh does not fold the tree up again. */
  expanded?: Set<string>;
}

function row(s: SessionUsage, byId: Map<string, SessionUsage>, opts: TreeOptions, depth: number, seen: Set<string>): HTMLLIElement {
  const li = el('li', 'usage-node');
  li.setAttribute('role', 'treeitem');
  li.dataset.id = s.id;
  const line = el('div', `usage-row${s.id === opts.selectedId ? ' selected' : ''}`);
  const kids = s.children.map((c) => byId.get(c)).filter((c): c is SessionUsage => !!c && !seen.has(c.id));
  const toggle = el('button', 'usage-toggle', kids.length ? '▸' : '');
  toggle.type = 'button';
  toggle.disabled = kids.length === 0;
  toggle.setAttribute('aria-label', kids.length ? `show ${kids.length} subagent${kids.length > 1 ? 's' : ''}` : 'no subagents');
  const name = el('button', 'usage-name', sessionTitle(s));
  name.type = 'button';
  name.addEventListener('click', () => opts.onSelect(s.id));
  const ownTok = el('span', 'usage-tokens', tokens(s.own.tokens.total));
  ownTok.title = 'own tokens';
  line.append(toggle, name, ownTok, costBadge(s.own.cost, s.own.unpricedTokens));
  if (kids.length) {
    const roll = el('span', 'usage-rollup', `with subagents: ${tokens(s.total.tokens.total)}`);
    line.append(roll, costBadge(s.total.cost, s.total.unpricedTokens));
    line.lastElementChild!.classList.add('usage-rollup-cost');
  }
  li.append(line);
  if (kids.length) {
    li.setAttribute('aria-expanded', 'false');
    const ul = el('ul', 'usage-children');
    ul.setAttribute('role', 'group');
    ul.hidden = true;
    const next = new Set(seen).add(s.id);
    let filled = false;
    const setOpen = (open: boolean): void => {
      // Children are built on first expand: a long history does not cost DOM up front.
      if (open && !filled) {
        for (const k of kids) ul.append(row(k, byId, opts, depth + 1, next));
        filled = true;
      }
      ul.hidden = !open;
      li.setAttribute('aria-expanded', String(open));
      toggle.textContent = open ? '▾' : '▸';
      if (open) opts.expanded?.add(s.id);
      else opts.expanded?.delete(s.id);
    };
    toggle.addEventListener('click', () => setOpen(ul.hidden));
    li.append(ul);
    if (opts.expanded?.has(s.id)) setOpen(true);
  }
  return li;
}

export function renderTree(container: HTMLElement, sessions: SessionUsage[], opts: TreeOptions): void {
  const byId = new Map(sessions.map((s) => [s.id, s]));
  const roots = sessions.filter((s) => !s.parentId || !byId.has(s.parentId)).slice(0, opts.limit ?? 200);
  const ul = el('ul', 'usage-tree');
  ul.setAttribute('role', 'tree');
  ul.setAttribute('aria-label', 'Sessions and their subagents');
  for (const s of roots) ul.append(row(s, byId, opts, 0, new Set()));
  container.replaceChildren(ul);
}
