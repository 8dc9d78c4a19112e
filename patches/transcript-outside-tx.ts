import type * as acorn from 'acorn';
import { definePatch } from '../src/patcher/types.js';
import { contains, declares, findAll, findOne, isCallOf, isIdent, marker } from './lib/ast.js';

function processEventArrow(n: acorn.VariableDeclaration): acorn.ArrowFunctionExpression | acorn.FunctionExpression | null {
  const d = n.declarations[0];
  if (!d || !declares(d, 'processEvent') || !isCallOf(d.init, ['db', 'transaction'])) return null;
  const fn = (d.init as acorn.CallExpression).arguments[0];
  return fn && (fn.type === 'ArrowFunctionExpression' || fn.type === 'FunctionExpression') ? fn : null;
}

export default definePatch({
  id: 'transcript-outside-tx',
  file: 'server/routes/hooks.js',
  why: 'Read the transcript before the transaction so the SQLite write lock is never held across file I/O (and the read can be async and incremental).',
  find: {
    type: 'VariableDeclaration',
    describe: 'const processEvent = db.transaction((hookType, data) => …)',
    where: (n) => n.declarations.length === 1 && processEventArrow(n) !== null,
  },
  anchorSha256: '2d45debbe93bcd3c45ca9ecfde4aa38041cc4bb3f41f54922b0088790eb6abae',
  edit: (s, n) => {
    const fn = processEventArrow(n)!;
    if (fn.params.length !== 2 || fn.body.type !== 'BlockStatement') throw new Error('processEvent must take (hookType, data) and have a block body');
    const read = findOne(fn.body, 'CallExpression', (c) => isCallOf(c, ['readTranscriptUsage']), 'readTranscriptUsage(…) call');
    s.update(n.start, fn.body.start, `function processEventCore(hookType, data, transcriptData) ${marker('transcript-outside-tx')} `);
    s.update(read.start, read.end, 'transcriptData');
    s.update(fn.body.end, n.end, '\nconst processEvent = db.transaction(processEventCore);');
  },
  postGate: (out, ast) => {
    const core = findAll(ast, 'FunctionDeclaration', (f) => isIdent(f.id, 'processEventCore'));
    if (core.length !== 1) return 'processEventCore is not declared exactly once';
    if (core[0]!.params.length !== 3) return 'processEventCore must take (hookType, data, transcriptData)';
    if (findAll(core[0]!, 'CallExpression', (c) => isCallOf(c, ['readTranscriptUsage'])).length) return 'the transcript is still read inside the transaction body';
    return contains(out, 'const processEvent = db.transaction(processEventCore);');
  },
});
