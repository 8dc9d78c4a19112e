import { definePatch } from '../src/patcher/types.js';
import { contains, isCallOf, marker, topLevelConst } from './lib/ast.js';

export default definePatch({
  id: 'host-require-index',
  file: 'server/index.js',
  why: 'Load the host add-ons once the upstream modules are loaded.',
  find: {
    type: 'VariableDeclaration',
    describe: "const pkg = require('../package.json')",
    where: (n, ctx) => topLevelConst(n, 'pkg', ctx) && isCallOf(n.declarations[0]!.init, ['require']),
  },
  anchorSha256: 'cb7854cbd340b94b3ddff2ff3db223c1cfe7130ce44ad9c785dff2adbbd3f04c',
  edit: (s, n) => {
    s.appendLeft(n.end, `\nconst host = require('./host/addons.cjs'); ${marker('host-require-index')}`);
  },
  postGate: (out) => contains(out, "const host = require('./host/addons.cjs');"),
});
