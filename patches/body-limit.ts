import { definePatch } from '../src/patcher/types.js';
import { contains, marker, topLevelConst } from './lib/ast.js';

export default definePatch({
  id: 'body-limit',
  file: 'server/index.js',
  why: 'Upstream answers 413 to bodies over 1 MB and the event vanishes; the host accepts large bodies and truncates oversized fields instead.',
  after: ['host-require-index'],
  find: {
    type: 'VariableDeclaration',
    describe: 'const MAX_BODY_BYTES = …',
    where: (n, ctx) => topLevelConst(n, 'MAX_BODY_BYTES', ctx),
  },
  anchorSha256: '6a416394cf01f755f137496a68ac980a3507916ea2b88016714eee38f206af92',
  edit: (s, n) => {
    const init = n.declarations[0]!.init!;
    s.overwrite(init.start, init.end, `host.MAX_BODY_BYTES ${marker('body-limit')}`);
  },
  postGate: (out) => contains(out, 'const MAX_BODY_BYTES = host.MAX_BODY_BYTES'),
});
