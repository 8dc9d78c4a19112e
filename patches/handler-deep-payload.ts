import { definePatch } from '../src/patcher/types.js';
import { contains, isIdent, marker } from './lib/ast.js';

export default definePatch({
  id: 'handler-deep-payload',
  file: 'scripts/hook-handler.js',
  why: 'A payload nested ~5,000 deep made JSON.stringify throw and the Claude handler exit without a trace; it is now cut at 64 levels and marked (hostBounded, from handler-delivery).',
  after: ['handler-delivery'],
  find: {
    type: 'FunctionDeclaration',
    describe: 'function parsePayload(text)',
    where: (n) => isIdent(n.id, 'parsePayload') && n.params.length === 1,
  },
  anchorSha256: '905551adbb7c93abf485064f7937c944ef64ac9bcc9c651461254e2cd37b8627',
  edit: (s, n) => {
    s.overwrite(n.id!.start, n.id!.end, 'parsePayloadUpstream');
    s.appendLeft(n.end, `\n${marker('handler-deep-payload')}\nfunction parsePayload(text) {\n  return hostBounded(parsePayloadUpstream(text));\n}`);
  },
  postGate: (out) => contains(out, 'return hostBounded(parsePayloadUpstream(text));'),
});
