import { definePatch } from '../src/patcher/types.js';
import { isCallOf, isIdent, marker } from './lib/ast.js';

export default definePatch({
  id: 'event-source-badge',
  file: 'public/app.js',
  why: 'Each timeline entry shows whether the hook, the rollout file or both saw it.',
  after: ['host-dashboard-helpers'],
  find: {
    type: 'CallExpression',
    describe: 'li.append(…) in renderEvent',
    where: (n, ctx) => isCallOf(n, ['li', 'append']) && ctx.ancestors.some((a) => a.type === 'FunctionDeclaration' && isIdent(a.id, 'renderEvent')),
  },
  anchorSha256: '0dbcebe7efbaca3910e1b699d30f8051a43e9cb0198cea1134d1b25ecd508a49',
  edit: (s, n) => {
    const last = n.arguments[n.arguments.length - 1]!;
    s.appendLeft(last.end, `,\n    ${marker('event-source-badge')} sourceBadge(event.seen_by)`);
  },
});
