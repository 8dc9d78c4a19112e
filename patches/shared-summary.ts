import type * as acorn from 'acorn';
import { definePatch } from '../src/patcher/types.js';
import { declares, isCallOf, marker } from './lib/ast.js';

export default definePatch({
  id: 'shared-summary',
  file: 'server/routes/hooks.js',
  why: 'Hook rows and rollout-imported rows get the same summary text, so the timeline reads the same whichever source stored an event.',
  after: ['host-require-hooks', 'transcript-outside-tx'],
  find: {
    type: 'VariableDeclarator',
    describe: 'const summary = summarize(hookType, data) in processEvent',
    where: (n) => declares(n, 'summary') && isCallOf(n.init as acorn.Node, ['summarize']),
  },
  anchorSha256: '2bd151174092f4a504174d809fe3c82635b67b98a61d6cd5e349a989610bc3fc',
  edit: (s, n) => {
    const call = n.init as acorn.CallExpression;
    s.update(call.callee.start, call.callee.end, `${marker('shared-summary')} host.summarizeEvent`);
  },
});
