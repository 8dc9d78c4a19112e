import { definePatch } from '../src/patcher/types.js';
import { findOne, isIdent, marker } from './lib/ast.js';

export default definePatch({
  id: 'harness-filter',
  file: 'public/app.js',
  why: 'The session list can be filtered by harness.',
  after: ['host-dashboard-helpers'],
  find: {
    type: 'FunctionDeclaration',
    describe: 'function visibleSessions()',
    where: (n) => isIdent(n.id, 'visibleSessions'),
  },
  anchorSha256: '82eed9ee24ad25f6e6e3c9058d0fbfe099d9cfd7709db03b794ba4a425c8d752',
  edit: (s, n) => {
    const ret = findOne(n.body, 'ReturnStatement', () => true, 'return statement');
    const arg = ret.argument!;
    s.prependRight(arg.start, `${marker('harness-filter')} (`);
    s.appendLeft(arg.end, `).filter((session) => !state.harnessFilter || (session.harness || 'claude') === state.harnessFilter)`);
  },
});
