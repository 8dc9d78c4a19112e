import type * as acorn from 'acorn';
import { definePatch } from '../src/patcher/types.js';
import { isCallOf, marker } from './lib/ast.js';

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
  anchorSha256: 'a4d09ada7b363e82fb678f5d72f523ae72c6626dd8e30af984ccb4c29c728f3b',
  edit: (s, n) => {
    s.appendLeft(n.end, `\nconst host = require('../host/addons.cjs'); ${marker('host-require-hooks')}`);
  },
});
