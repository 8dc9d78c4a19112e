import { definePatch } from '../src/patcher/types.js';
import { isCallOf, isIdent, marker } from './lib/ast.js';
import { SESSION_SOURCES_COLUMN } from '../src/sidecar/host/session-sql.js';

export default definePatch({
  id: 'session-sources',
  file: 'server/db.js',
  why: 'The session list says where each session was seen (hook, rollout or both).',
  after: ['host-schema'],
  find: {
    type: 'Property',
    describe: 'stmts property `listSessions`',
    where: (n) => isIdent(n.key, 'listSessions') && isCallOf(n.value, ['db', 'prepare']),
  },
  anchorSha256: '8d95fa646df31b1edc276abc96faf5413b24e9d5f771b844be10a616258747d6',
  edit: (s, n) => {
    if (n.value.type !== 'CallExpression') throw new Error('listSessions is not a db.prepare call');
    const sql = n.value.arguments[0]!;
    s.update(
      sql.start,
      sql.end,
      `${marker('session-sources')} \`SELECT sessions.*,
      ${SESSION_SOURCES_COLUMN}
      FROM sessions ORDER BY updated_at DESC LIMIT @limit\``,
    );
  },
});
