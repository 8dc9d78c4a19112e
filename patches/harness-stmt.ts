import { definePatch } from '../src/patcher/types.js';
import { contains, isCallOf, isIdent, marker } from './lib/ast.js';

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
  anchorSha256: '359ce44d45c9add33ef5ec1026b6e583a5ac0fefdcdb9078b2f9ce1aebe603e0',
  edit: (s, n) => {
    s.appendLeft(
      n.end,
      `,\n  ${marker('harness-stmt')} setSessionHarness: db.prepare('UPDATE sessions SET harness = @harness WHERE id = @id AND harness <> @harness')`,
    );
  },
  postGate: (out) => contains(out, 'setSessionHarness: db.prepare('),
});
