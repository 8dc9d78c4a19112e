import type * as acorn from 'acorn';
import { definePatch } from '../src/patcher/types.js';
import { contains, isCallOf, marker } from './lib/ast.js';

export default definePatch({
  id: 'host-require-hooks',
  file: 'server/routes/hooks.js',
  why: 'Load the host add-ons next to the upstream modules.',
  find: {
    type: 'VariableDeclaration',
    describe: "`const { db, stmts } = require('../db')`",
    where: (n) => {
      const init = n.declarations.length === 1 ? n.declarations[0]!.init : null;
      if (!init || !isCallOf(init, ['require'])) return false;
      const arg = (init as acorn.CallExpression).arguments[0];
      return arg?.type === 'Literal' && arg.value === '../db';
    },
  },
  anchorSha256: 'f01eea92695e33fbd6e3ddeec6df25ce0b2404854bcec7474d3c74cfc133260d',
  edit: (s, n) => {
    s.appendLeft(n.end, `\nconst host = require('../host/addons.cjs'); ${marker('host-require-hooks')}`);
  },
  postGate: (out) => contains(out, "const host = require('../host/addons.cjs');"),
});
