import type * as acorn from 'acorn';
import { definePatch } from '../src/patcher/types.js';
import { isCallOf, marker } from './lib/ast.js';

export default definePatch({
  id: 'handler-delivery-id',
  file: 'scripts/hook-handler.js',
  why: 'Every event gets a delivery id so a retry or a spool drain can never store it twice.',
  after: ['handler-delivery'],
  find: {
    type: 'VariableDeclaration',
    describe: 'const data = parsePayload(text) in main()',
    where: (n) => n.declarations.length === 1 && isCallOf(n.declarations[0]!.init as acorn.Node, ['parsePayload']),
  },
  anchorSha256: '59dd05a6562700b9a336d2f5d5c313fd8bfd961e2afc08a3b46d7ce9beff3c75',
  edit: (s, n) => {
    s.appendLeft(n.end, `\n  ${marker('handler-delivery-id')} data.__delivery_id = require('crypto').randomUUID();`);
  },
});
