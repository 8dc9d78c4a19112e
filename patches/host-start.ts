import type * as acorn from 'acorn';
import { definePatch } from '../src/patcher/types.js';
import { contains, isCallOf, marker } from './lib/ast.js';

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
  anchorSha256: 'd83873124c30f45d5867b253177192832ffaad1d356c3a73f18b570dd1c0a587',
  edit: (s, n) => {
    const call = n.expression as acorn.CallExpression;
    s.overwrite(call.callee.start, call.callee.end, 'host.listen');
    s.appendLeft(call.arguments[0]!.start, 'server, ');
    s.prependRight(
      n.start,
      `${marker('host-start')}\nhost.attach({ db, stmts, processEvent: require('./routes/hooks').processEvent, broadcast: require('./lib/stream').broadcast });\n`,
    );
  },
  postGate: (out) => contains(out, 'host.listen(server, PORT, HOST,'),
});
