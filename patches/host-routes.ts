import { definePatch } from '../src/patcher/types.js';
import { declares, findAll, isIdent, marker } from './lib/ast.js';

export default definePatch({
  id: 'host-routes',
  file: 'server/index.js',
  why: 'Hook posts must carry the runtime token (401 otherwise); the host also serves /api/host/status.',
  after: ['host-require-index'],
  find: {
    type: 'VariableDeclaration',
    describe: 'const url = new URL(req.url, …) in handleRequest',
    where: (n, ctx) =>
      n.declarations.length === 1 &&
      declares(n.declarations[0]!, 'url') &&
      n.declarations[0]!.init?.type === 'NewExpression' &&
      ctx.ancestors.some((a) => a.type === 'FunctionDeclaration' && isIdent(a.id, 'handleRequest')),
  },
  anchorSha256: '9334dfce48341da264d31348d47f04ceb53058249ad13cdc1bc20751e2ede022',
  edit: (s, n) => {
    s.appendLeft(n.end, `\n  ${marker('host-routes')}\n  if (host.route(req, res, url)) return undefined;`);
  },
  postGate: (out, ast) => {
    const fn = findAll(ast, 'FunctionDeclaration', (f) => isIdent(f.id, 'handleRequest'))[0];
    if (!fn) return 'handleRequest is missing';
    const text = out.slice(fn.start, fn.end);
    const gate = text.indexOf('host.route(req, res, url)');
    const hookRoute = text.indexOf("'/api/hooks/event'");
    if (gate < 0) return 'host.route is not called in handleRequest';
    if (hookRoute >= 0 && hookRoute < gate) return 'the hook route is reachable before the token check';
    return null;
  },
});
