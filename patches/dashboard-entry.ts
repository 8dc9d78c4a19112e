import type * as acorn from 'acorn';
import { definePatch } from '../src/patcher/types.js';
import { findAll, isCallOf, marker } from './lib/ast.js';

/** A top-level `connect();` statement. */
const isConnectCall = (n: acorn.Node): boolean =>
  n.type === 'ExpressionStatement' && isCallOf((n as acorn.ExpressionStatement).expression, ['connect']);

/** A top-level statement that calls loadSessions() (upstream: `loadSessions().catch(console.error);`). */
const isLoadSessionsStart = (n: acorn.Node): boolean =>
  n.type === 'ExpressionStatement' && findAll(n, 'CallExpression', (c) => isCallOf(c, ['loadSessions'])).length > 0;

// The host's typed dashboard (src/dashboard/, bundled to public/dashboard.js by
// scripts/build-agent-monitor.ts) renders the whole page; upstream's start-up calls are replaced
// by loading it, so upstream's renderer is never started (no second EventSource, no 200-row reload).
const LOADER = `${marker('dashboard-entry')}
(function loadHostDashboard() {
  const style = document.createElement('link');
  style.rel = 'stylesheet';
  style.href = '/dashboard.css';
  document.head.append(style);
  const script = document.createElement('script');
  script.src = '/dashboard.js';
  document.head.append(script);
})();`;

export default definePatch({
  id: 'dashboard-entry',
  file: 'public/app.js',
  why: 'The page is rendered by the typed dashboard (paged sessions, attention, timeline with detail, search, export) instead of upstream\'s renderer.',
  find: {
    type: 'ExpressionStatement',
    describe: 'top-level connect(), right after loadSessions().catch(console.error)',
    where: (n, ctx) => ctx.ancestors.length === 1 && isConnectCall(n),
  },
  anchorSha256: 'f27af270c870f237d07ddccec89e4c13221114d7c2e768fda94941f96296a796',
  edit: (s, n, ctx) => {
    const body = ctx.ast.body;
    const prev = body[body.indexOf(n) - 1];
    if (!prev || !isLoadSessionsStart(prev)) throw new Error('expected loadSessions().catch(…) right before `connect();` at the top level');
    s.overwrite(prev.start, n.end, LOADER);
  },
  postGate: (_out, ast) => {
    const calls = ast.body.filter((st) => isConnectCall(st) || isLoadSessionsStart(st));
    return calls.length === 0 ? null : 'upstream still starts its own renderer (a top-level connect() or loadSessions() call remains)';
  },
});
