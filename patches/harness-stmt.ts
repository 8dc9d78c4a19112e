import { definePatch } from '../src/patcher/types.js';
import { isCallOf, isIdent, marker } from './lib/ast.js';

export default definePatch({
  id: 'harness-stmt',
  file: 'server/db.js',
  why: 'A prepared statement that stamps a session with the agent that produced it (claude or codex).',
  after: ['host-schema'],
  find: {
    type: 'Property',
    describe: 'stmts property `setSessionStatus`',
    where: (n) => isIdent(n.key, 'setSessionStatus') && isCallOf(n.value, ['db', 'prepare']),
  },
  anchorSha256: '5611f4587fb95f3c181d248a267f3ebc60e4c8e049a7f22d0b8f261f8cab3d57',
  edit: (s, n) => {
    s.appendLeft(
      n.end,
      `,\n  ${marker('harness-stmt')} setSessionHarness: db.prepare('UPDATE sessions SET harness = @harness WHERE id = @id AND harness <> @harness')`,
    );
  },
});
