import { definePatch } from '../src/patcher/types.js';
import { isIdent, marker } from './lib/ast.js';
import { bundleIife } from './lib/bundle.js';

// The helpers are src/sidecar/dashboard/host-ui.ts (typed, unit-tested), bundled by esbuild into
// an IIFE and placed after upstream's `const $ = …` (after `state`; `el` and `renderSessions`
// are hoisted function declarations). sourceBadge/harnessBadge stay hoisted globals, because
// event-source-badge and harness-badge call them from upstream's render functions.
export default definePatch({
  id: 'host-dashboard-helpers',
  file: 'public/app.js',
  why: 'Badge helpers and the harness filter control, defined once after the upstream state object.',
  find: {
    type: 'VariableDeclaration',
    describe: 'const $ = (id) => document.getElementById(id)',
    where: (n, ctx) => ctx.ancestors.length === 1 && n.declarations.length === 1 && isIdent(n.declarations[0]!.id, '$'),
  },
  anchorSha256: '8799d0d0be592db2dd005a23e19963e2087047ecbe14cacfdc40d0d80d022f83',
  edit: (s, n) => {
    s.appendLeft(
      n.end,
      [
        '',
        '',
        `${marker('host-dashboard-helpers')} // src/sidecar/dashboard/host-ui.ts, bundled by the build`,
        bundleIife('src/sidecar/dashboard/host-ui.ts', 'hostUi'),
        'function sourceBadge(seenBy) {',
        '  return hostUi.sourceBadge({ el }, seenBy);',
        '}',
        'function harnessBadge(harness) {',
        '  return hostUi.harnessBadge({ el }, harness);',
        '}',
        'hostUi.installHostUi({ el, state, renderSessions, document, location });',
      ].join('\n'),
    );
  },
});
