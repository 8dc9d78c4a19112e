import { inlineDelivery } from './lib/inline-delivery.js';
import { definePatch } from '../src/patcher/types.js';
import { isIdent, marker } from './lib/ast.js';

// The upstream Claude handler posts to a fixed port without a token and forgets the event when
// the server is down. The host's version finds the sidecar through runtime.json (next to the
// hooks/ folder it is copied into), sends the token, and appends to the same spool as the Codex
// handler when the post fails. All of that is src/handlers/host-delivery.cjs, shared with
// src/handlers/codex-hook-handler.js and appended here (inlined, so the installed copy stays one
// file); the patch only routes upstream's post(body) through it.
export default definePatch({
  id: 'handler-delivery',
  file: 'scripts/hook-handler.js',
  why: 'Claude hook posts carry the runtime token and a delivery id, and land in the spool instead of vanishing when the sidecar is down.',
  find: {
    type: 'FunctionDeclaration',
    describe: 'function post(body)',
    where: (n) => isIdent(n.id, 'post') && n.params.length === 1,
  },
  anchorSha256: '231baa79b15e7b9e1da5bac8dc7c08f51d615226156916a8717d6e30f69f6034',
  edit: (s, n) => {
    // Wait for the reply (bounded, 1 s): only a 2xx means stored; anything else goes to the spool.
    s.update(
      n.body.start,
      n.body.end,
      `{
  ${marker('handler-delivery')}
  const delivery = hostDeliveryModule()({ builtin: require, label: 'hook' });
  return delivery.post(delivery.dataDir(__filename, require('path').join(__dirname, '..')), body, 1000);
}
${inlineDelivery()}`,
    );
  },
});
