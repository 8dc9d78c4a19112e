import { definePatch } from '../src/patcher/types.js';
import { contains, isCallOf, isIdent, marker } from './lib/ast.js';

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
  anchorSha256: 'f630b9a37ab7ae169e25c39f57c799b262ce00184b1fdf39c470bb7a3bb0daff',
  edit: (s, n) => {
    s.appendLeft(
      n.end,
      `\n  ${marker('harness-badge')}\n  title.after(harnessBadge(session.harness));\n  if (session.sources) top.lastChild.before(sourceBadge(session.sources));`,
    );
  },
  postGate: (out) => contains(out, 'title.after(harnessBadge(session.harness));'),
});
