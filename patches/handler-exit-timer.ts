import type * as acorn from 'acorn';
import { definePatch } from '../src/patcher/types.js';
import { isCallOf, marker } from './lib/ast.js';

export default definePatch({
  id: 'handler-exit-timer',
  file: 'scripts/hook-handler.js',
  why: 'The forced exit must leave time to spool after a failed post (upstream exits after 1.5 s regardless).',
  after: ['handler-delivery'],
  find: {
    type: 'ExpressionStatement',
    describe: 'setTimeout(() => process.exit(0), 1500).unref()',
    where: (n, ctx) => ctx.ancestors.length === 1 && n.expression.type === 'CallExpression' && isCallOf((n.expression.callee as acorn.MemberExpression).object, ['setTimeout']),
  },
  anchorSha256: '7cf95e9976ed8597c477275846e463852163ae9411a36278299c8c07ccff0a75',
  edit: (s, n) => {
    s.update(n.start, n.end, `setTimeout(() => process.exit(0), 3000).unref(); ${marker('handler-exit-timer')}`);
  },
});
