import { definePatch } from '../src/patcher/types.js';
import { isIdent, marker } from './lib/ast.js';

export default definePatch({
  id: 'handler-deep-payload',
  file: 'scripts/hook-handler.js',
  why: 'A payload nested ~5,000 deep made JSON.stringify throw and the Claude handler exit without a trace; it is now cut at 64 levels and marked (bounded(), from the inlined delivery module).',
  after: ['handler-delivery'],
  find: {
    type: 'FunctionDeclaration',
    describe: 'function parsePayload(text)',
    where: (n) => isIdent(n.id, 'parsePayload') && n.params.length === 1,
  },
  anchorSha256: '4a63d53e3c8128848bdb5239ae1e4f08be998c0093226548515fab0b8b54b4e9',
  edit: (s, n) => {
    s.update(n.id!.start, n.id!.end, 'parsePayloadUpstream');
    s.appendLeft(
      n.end,
      `\n${marker('handler-deep-payload')}\nfunction parsePayload(text) {\n  return hostDeliveryModule()({ builtin: require, label: 'hook' }).bounded(parsePayloadUpstream(text));\n}`,
    );
  },
});
