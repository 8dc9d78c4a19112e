/** src/sidecar/dashboard/host-ui.ts on its own, with a minimal stand-in for upstream's globals and the DOM. */
import { describe, expect, it } from 'vitest';
import { harnessBadge, installHostUi, sourceBadge, sourceLabel } from '../../src/sidecar/dashboard/host-ui.js';
import type { Upstream } from '../../src/sidecar/dashboard/host-ui.js';

interface FakeEl {
  tag: string;
  className: string;
  textContent: string;
  title: string;
  id: string;
  value: string;
  rel: string;
  href: string;
  src?: string;
  children: FakeEl[];
  listeners: Record<string, () => void>;
  append: (...c: FakeEl[]) => void;
  prepend: (...c: FakeEl[]) => void;
  addEventListener: (type: string, fn: () => void) => void;
}

function fakeEl(tag: string, cls = '', text = ''): FakeEl {
  const node: FakeEl = {
    tag, className: cls, textContent: text, title: '', id: '', value: '', rel: '', href: '', children: [], listeners: {},
    append: (...c) => void node.children.push(...c),
    prepend: (...c) => void node.children.unshift(...c),
    addEventListener: (type, fn) => void (node.listeners[type] = fn),
  };
  return node;
}

const el = ((tag: string, cls?: string, text?: string) => fakeEl(tag, cls, text)) as unknown as Upstream['el'];

describe('host dashboard helpers', () => {
  it.each([
    ['hook', 'hook'],
    ['rollout', 'rollout'],
    ['hook,rollout', 'both'],
    ['rollout,hook', 'both'],
    ['', ''],
    [null, ''],
  ] as const)('sourceLabel(%j) = %j', (input, label) => {
    expect(sourceLabel(input)).toBe(label);
  });

  it('badges carry a class per value and an explanatory title', () => {
    expect(sourceBadge({ el }, 'hook,rollout')).toMatchObject({ className: 'badge source source-both', textContent: 'both', title: 'seen by the hook and the rollout file' });
    expect(sourceBadge({ el }, '')).toMatchObject({ className: 'badge source source-unknown', textContent: '?' });
    expect(harnessBadge({ el }, 'codex')).toMatchObject({ className: 'badge harness harness-codex', textContent: 'Codex' });
    expect(harnessBadge({ el }, undefined)).toMatchObject({ className: 'badge harness harness-claude', textContent: 'Claude' });
  });

  it('installHostUi adds the stylesheet, the icon, the status banner and usage panels\' scripts and a filter that starts from ?harness= and re-renders on change', () => {
    const head = fakeEl('head');
    const toolbar = fakeEl('div');
    const document = { head, createElement: (tag: string) => fakeEl(tag), getElementById: (id: string) => (id === 'toolbar' ? toolbar : null) } as unknown as Document;
    const state: { harnessFilter?: string } = {};
    let renders = 0;
    installHostUi({ el, state, renderSessions: () => void renders++, document, location: { search: '?harness=codex' } });
    expect(head.children.map((c) => [c.tag, c.href || c.src])).toEqual([['link', '/host.css'], ['link', '/favicon.svg'], ['script', '/host-status.js'], ['script', '/usage.js']]);
    const select = toolbar.children[0]!.children[0]!;
    expect(select.children.map((o) => o.value)).toEqual(['', 'claude', 'codex']);
    expect(state.harnessFilter).toBe('codex');
    select.value = 'claude';
    select.listeners.change!();
    expect(state.harnessFilter).toBe('claude');
    expect(renders).toBe(1);
  });
});
