import { definePatch } from '../src/patcher/types.js';
import { contains, declares, marker } from './lib/ast.js';

export default definePatch({
  id: 'event-time',
  file: 'server/routes/hooks.js',
  why: 'A spooled event keeps the time the handler spooled it, so a late drain does not reorder the timeline.',
  after: ['host-require-hooks', 'transcript-outside-tx'],
  find: {
    type: 'VariableDeclarator',
    describe: 'const now = new Date().toISOString() in processEvent',
    where: (n, ctx) =>
      declares(n, 'now') &&
      n.init?.type === 'CallExpression' &&
      ctx.ancestors.some((a) => a.type === 'VariableDeclarator' && a.id.type === 'Identifier' && a.id.name === 'processEvent'),
  },
  anchorSha256: '731f9202625a204b62c90bef1d052a2c92704e990d3b86b44776c83236484716',
  edit: (s, n) => {
    const init = n.init!;
    s.overwrite(init.start, init.end, `host.eventTime(data) ${marker('event-time')}`);
  },
  postGate: (out) => contains(out, 'const now = host.eventTime(data)'),
});
