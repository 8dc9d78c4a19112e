import type * as acorn from 'acorn';
import { definePatch } from '../src/patcher/types.js';
import { isCallOf, marker } from './lib/ast.js';

export default definePatch({
  id: 'host-start',
  file: 'server/index.js',
  why: 'Listen through the host (port fallback, runtime file) and start the rollout watcher and spool drain with the server.',
  after: ['host-require-index'],
  find: {
    type: 'ExpressionStatement',
    describe: 'server.listen(PORT, HOST, …)',
    where: (n, ctx) => ctx.ancestors.length === 1 && isCallOf(n.expression, ['server', 'listen']),
  },
  anchorSha256: '872b95f2dba2dac87566650f66ee12f07de12d2402f7606c6a7528cea06d2e4b',
  edit: (s, n) => {
    const call = n.expression as acorn.CallExpression;
    s.update(call.callee.start, call.callee.end, 'host.listen');
    s.appendLeft(call.arguments[0]!.start, 'server, ');
    s.prependRight(
      n.start,
      `${marker('host-start')}\nhost.attach({ db, stmts, processEvent: require('./routes/hooks').processEvent, broadcast: require('./lib/stream').broadcast });\n`,
    );
  },
});
