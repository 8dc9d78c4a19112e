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
  anchorSha256: '821f41612900b141f7682c25c75d0c604823807de63fb0378f17b18d8e56e87f',
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
