import { definePatch } from '../src/patcher/types.js';
import { contains, isIdent, marker } from './lib/ast.js';

export default definePatch({
  id: 'host-stop',
  file: 'server/index.js',
  why: 'Stop the watcher and remove runtime.json before the database closes.',
  after: ['host-require-index'],
  find: {
    type: 'FunctionDeclaration',
    describe: 'function shutdown()',
    where: (n) => isIdent(n.id, 'shutdown'),
  },
  anchorSha256: 'ac6a2a7dadee5a019fd9cd3b7b87a842758797f015b3312dca05bbb2861869aa',
  edit: (s, n) => {
    s.appendLeft(n.body.start + 1, `\n  ${marker('host-stop')}\n  host.stop();`);
  },
  postGate: (out) => contains(out, 'host.stop();'),
});
