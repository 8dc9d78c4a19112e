import { definePatch } from '../src/patcher/types.js';
import { isIdent, marker } from './lib/ast.js';

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
  anchorSha256: '94ecd2250eb1947e992c130ab59fedaf72b46e914566a7bb2f8472faa8ce4c6f',
  edit: (s, n) => {
    s.appendLeft(n.body.start + 1, `\n  ${marker('host-stop')}\n  host.stop();`);
  },
});
