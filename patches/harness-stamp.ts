import { definePatch } from '../src/patcher/types.js';
import { findAll, isCallOf, isIdent, marker } from './lib/ast.js';

export default definePatch({
  id: 'harness-stamp',
  file: 'server/routes/hooks.js',
  why: 'Events the Codex handler tagged __provider:"codex" (on an authenticated post) mark their session harness=codex.',
  after: ['transcript-outside-tx', 'host-require-hooks', 'harness-stmt'],
  find: {
    type: 'ExpressionStatement',
    describe: 'stmts.insertSession.run({…}) inside processEvent',
    where: (n) => isCallOf(n.expression, ['stmts', 'insertSession', 'run']),
  },
  anchorSha256: '98306f4e6cc12d003158206c355dc83bb87830183545de50c7d056502d24bbcd',
  edit: (s, n) => {
    s.appendLeft(
      n.end,
      `\n  ${marker('harness-stamp')}\n  if (data.__provider === 'codex') stmts.setSessionHarness.run({ id: sessionId, harness: 'codex' });`,
    );
  },
  postGate: (out, ast) => {
    const core = findAll(ast, 'FunctionDeclaration', (f) => isIdent(f.id, 'processEventCore'))[0];
    if (!core) return 'processEventCore is missing';
    const stamps = findAll(core, 'CallExpression', (c) => isCallOf(c, ['stmts', 'setSessionHarness', 'run']));
    return stamps.length === 1 ? null : 'setSessionHarness is not called exactly once inside processEventCore';
  },
});
