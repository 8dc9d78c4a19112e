import { definePatch } from '../src/patcher/types.js';
import { isCallOf, marker } from './lib/ast.js';

export default definePatch({
  id: 'host-schema',
  file: 'server/db.js',
  why: 'Add the host columns (harness, event source, dedup key) and the rollout cursor table right after upstream migrations; a start on a full or read-only disk with a complete schema goes on degraded instead of exiting.',
  find: {
    type: 'ExpressionStatement',
    describe: 'top-level statement `migrate();`',
    where: (n, ctx) => ctx.ancestors.length === 1 && isCallOf(n.expression, ['migrate']),
  },
  anchorSha256: '8d4a6c410a0852b6b0d366c5d50653b781a0ca29088947fa6407333a3e28a635',
  edit: (s, n) => {
    s.overwrite(n.start, n.end, `require('./host/addons.cjs').openSchema(db, migrate); ${marker('host-schema')}`);
  },
  postGate: (out) => {
    const at = out.indexOf("require('./host/addons.cjs').openSchema(db, migrate)");
    if (at < 0) return 'openSchema(db, migrate) is not called';
    if (at > out.indexOf('const stmts')) return 'openSchema(db, migrate) must run before the statements are prepared';
    return null;
  },
});
