import { definePatch } from '../src/patcher/types.js';
import { isCallOf, marker, topLevelConst } from './lib/ast.js';

export default definePatch({
  id: 'host-require-index',
  file: 'server/index.js',
  why: 'Load the host add-ons once the upstream modules are loaded.',
  find: {
    type: 'VariableDeclaration',
    describe: "const pkg = require('../package.json')",
    where: (n, ctx) => topLevelConst(n, 'pkg', ctx) && isCallOf(n.declarations[0]!.init, ['require']),
  },
  anchorSha256: '36f7b77effd64121b3dd407391bfd925a2c1ab512f5e9ebf32e17c0972d43116',
  edit: (s, n) => {
    s.appendLeft(n.end, `\nconst host = require('./host/addons.cjs'); ${marker('host-require-index')}`);
  },
});
