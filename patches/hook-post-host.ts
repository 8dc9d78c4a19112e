import { definePatch } from '../src/patcher/types.js';
import { isIdent, marker } from './lib/ast.js';

export default definePatch({
  id: 'hook-post-host',
  file: 'server/routes/hooks.js',
  why: 'The host route reads the transcript before the transaction, truncates oversized fields, answers duplicates, and broadcasts only committed rows.',
  after: ['host-require-hooks', 'transcript-outside-tx', 'event-dedup'],
  find: {
    type: 'FunctionDeclaration',
    describe: 'function handleHookPost(req, res, body)',
    where: (n) => isIdent(n.id, 'handleHookPost') && n.params.length === 3,
  },
  anchorSha256: '59a6291e2bf8f4dd4a1646b1c6f9682f0af45a2fd507741412f51108f31660f5',
  edit: (s, n) => {
    s.update(
      n.body.start,
      n.body.end,
      `{\n  ${marker('hook-post-host')}\n  return host.handleHookPost(req, res, body, { db, processEvent, stmts, broadcast, sendJson });\n}`,
    );
  },
});
