import { definePatch } from '../src/patcher/types.js';
import { declares, marker } from './lib/ast.js';

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
  anchorSha256: '09d3ed4e9c2ac33b0ee3387201dfa09dc339ad79516309ade53e3812dc3513d7',
  edit: (s, n) => {
    const init = n.init!;
    s.update(init.start, init.end, `host.eventTime(data) ${marker('event-time')}`);
  },
});
