import { definePatch } from '../src/patcher/types.js';
import { isCallOf, isIdent, marker } from './lib/ast.js';

export default definePatch({
  id: 'event-dedup-stmt',
  file: 'server/db.js',
  why: 'Hook inserts carry their source and dedup key and are INSERT OR IGNORE, so a re-delivered or rollout-imported event is stored once.',
  after: ['host-schema'],
  find: {
    type: 'Property',
    describe: 'stmts property `insertEvent`',
    where: (n) => isIdent(n.key, 'insertEvent') && isCallOf(n.value, ['db', 'prepare']),
  },
  anchorSha256: '565e5946875da5f3afca0c4e890d006916df4621eafe6c3fe6f5b6a0c40983d6',
  edit: (s, n) => {
    if (n.value.type !== 'CallExpression') throw new Error('insertEvent is not a db.prepare call');
    const sql = n.value.arguments[0]!;
    s.update(
      sql.start,
      sql.end,
      `${marker('event-dedup-stmt')} \`
    INSERT OR IGNORE INTO events (session_id, hook_type, tool_name, summary, data, created_at, source, seen_by, dedup_key)
    VALUES (@session_id, @hook_type, @tool_name, @summary, @data, @created_at, @source, @seen_by, @dedup_key)
  \``,
    );
  },
});
