import type * as acorn from 'acorn';
import { definePatch } from '../src/patcher/types.js';
import { declares, isMember, marker } from './lib/ast.js';

export default definePatch({
  id: 'codex-session-id',
  file: 'server/routes/hooks.js',
  why: 'A Codex subagent event belongs to the subagent thread (agent_id), not the root session id it also carries.',
  after: ['host-require-hooks', 'transcript-outside-tx'],
  find: {
    type: 'VariableDeclarator',
    describe: "const sessionId = data.session_id || 'unknown'",
    where: (n) => declares(n, 'sessionId') && n.init?.type === 'LogicalExpression' && isMember(n.init.left, 'data', 'session_id'),
  },
  anchorSha256: '4bf7a0c850d63349fed57a5fea5676739a1b6f091845c1f335a8c48d388f7dc9',
  edit: (s, n) => {
    const init = n.init as acorn.LogicalExpression;
    s.update(init.left.start, init.left.end, `host.hookSessionId(data) ${marker('codex-session-id')}`);
  },
});
