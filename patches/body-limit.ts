import { definePatch } from '../src/patcher/types.js';
import { marker, topLevelConst } from './lib/ast.js';

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
  anchorSha256: '23f4d175e88fc184419d80b47378479a9b5e615e152124d4fc9710ca991fcb97',
  edit: (s, n) => {
    const init = n.declarations[0]!.init!;
    s.update(init.start, init.end, `host.MAX_BODY_BYTES ${marker('body-limit')}`);
  },
});
