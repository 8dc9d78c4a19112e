import { definePatch } from '../src/patcher/types.js';
import { isIdent, marker } from './lib/ast.js';

const HELPERS = `
${marker('host-dashboard-helpers')}
function sourceLabel(seenBy) {
  const parts = String(seenBy || '').split(',').filter(Boolean);
  const hook = parts.includes('hook');
  const rollout = parts.includes('rollout');
  if (hook && rollout) return 'both';
  return rollout ? 'rollout' : hook ? 'hook' : '';
}
function sourceBadge(seenBy) {
  const label = sourceLabel(seenBy);
  const badge = el('span', \`badge source source-\${label || 'unknown'}\`, label || '?');
  badge.title = label === 'both' ? 'seen by the hook and the rollout file' : \`seen by the \${label} only\`;
  return badge;
}
function harnessBadge(harness) {
  const name = harness === 'codex' ? 'codex' : 'claude';
  const badge = el('span', \`badge harness harness-\${name}\`, name === 'codex' ? 'Codex' : 'Claude');
  badge.title = name === 'codex' ? 'OpenAI Codex CLI session' : 'Claude Code session';
  return badge;
}
(function installHostUi() {
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = '/host.css';
  document.head.append(link);
  const label = el('label', 'harness-filter', 'Agent ');
  const select = document.createElement('select');
  select.id = 'harness-filter';
  for (const [value, text] of [['', 'All'], ['claude', 'Claude Code'], ['codex', 'Codex']]) {
    const option = document.createElement('option');
    option.value = value;
    option.textContent = text;
    select.append(option);
  }
  select.value = new URLSearchParams(location.search).get('harness') || '';
  state.harnessFilter = select.value;
  select.addEventListener('change', () => {
    state.harnessFilter = select.value;
    renderSessions();
  });
  label.append(select);
  document.getElementById('toolbar').prepend(label);
})();
`;

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
    // Function declarations hoist; the IIFE runs after `el` exists because `el` is hoisted too.
    s.appendLeft(n.end, `\n${HELPERS}`);
  },
});
