import { definePatch } from '../src/patcher/types.js';
import { marker, topLevelConst } from './lib/ast.js';

export default definePatch({
  id: 'port-from-host',
  file: 'server/index.js',
  why: 'The host picks the port (AGENT_MONITOR_PORT, 0 = any free port); upstream treats 0 as "use the default".',
  after: ['host-require-index'],
  find: {
    type: 'VariableDeclaration',
    describe: 'const PORT = …',
    where: (n, ctx) => topLevelConst(n, 'PORT', ctx),
  },
  anchorSha256: '5026d4798f1b811150599854750426302db269f9ae6070e8bd01347cb9dd3f1e',
  edit: (s, n) => {
    const init = n.declarations[0]!.init!;
    s.update(init.start, init.end, `host.listenPort(${'4820'}) ${marker('port-from-host')}`);
  },
});
