import { definePatch } from '../src/patcher/types.js';
import { isCallOf, isIdent, marker } from './lib/ast.js';

export default definePatch({
  id: 'harness-badge',
  file: 'public/app.js',
  why: 'Each session card names its agent (Claude Code or Codex) and where it was seen.',
  after: ['host-dashboard-helpers'],
  find: {
    type: 'ExpressionStatement',
    describe: 'top.append(title, …) in renderSessionCard',
    where: (n, ctx) =>
      isCallOf(n.expression, ['top', 'append']) &&
      ctx.ancestors.some((a) => a.type === 'FunctionDeclaration' && isIdent(a.id, 'renderSessionCard')),
  },
  anchorSha256: '535fea22faab8c82912a102d6db75a5eb4b6221666e9fd4cbcdc04d12b0b042e',
  edit: (s, n) => {
    s.appendLeft(
      n.end,
      `\n  ${marker('harness-badge')}\n  title.after(harnessBadge(session.harness));\n  if (session.sources) top.lastChild.before(sourceBadge(session.sources));`,
    );
  },
});
