import type * as acorn from 'acorn';
import { definePatch } from '../src/patcher/types.js';
import { declares, isCallOf, marker } from './lib/ast.js';

export default definePatch({
  id: 'event-dedup',
  file: 'server/routes/hooks.js',
  why: 'Give every hook insert its source and dedup key; an ignored (duplicate) insert only records that the hook saw it too.',
  after: ['host-require-hooks', 'transcript-outside-tx', 'event-dedup-stmt'],
  find: {
    type: 'VariableDeclaration',
    describe: 'const info = stmts.insertEvent.run({…})',
    where: (n) => n.declarations.length === 1 && declares(n.declarations[0]!, 'info') && isCallOf(n.declarations[0]!.init, ['stmts', 'insertEvent', 'run']),
  },
  anchorSha256: 'a4fa5b567cd90e2847c2b29d0f0d09f933b75b9d2c06d3e95a11af1f406f7341',
  edit: (s, n) => {
    const call = n.declarations[0]!.init as acorn.CallExpression;
    const obj = call.arguments[0];
    if (!obj || obj.type !== 'ObjectExpression' || obj.properties.length === 0) throw new Error('insertEvent.run takes an object literal');
    const last = obj.properties[obj.properties.length - 1]!;
    s.appendLeft(last.end, `,\n    ${marker('event-dedup')} source: 'hook',\n    seen_by: 'hook',\n    dedup_key: dedupKey`);
    s.prependRight(n.start, 'const dedupKey = host.hookDedupKey(hookType, data);\n  ');
    s.appendLeft(
      n.end,
      "\n  if (info.changes === 0) {\n    // Already stored (by the rollout importer or an earlier delivery of this event).\n    host.markSeen(db, sessionId, dedupKey, 'hook');\n    return null;\n  }",
    );
  },
});
