/**
 * `npm run soak -- [--agents N] [--events N] [--rollouts N] [--calls N] [--kills N] [--hangs N] [--seed N]`:
 * N concurrent agents through the real hook handlers while the sidecar is killed, hung and
 * restarted and rollouts are written live and rewritten; prints sent vs stored by key, lost and
 * duplicated (scripts/lib/campaign.ts). Exits 1 when anything was lost uncounted or duplicated.
 */
import { parseArgs } from 'node:util';
import { runSoak, soakMarkdown } from './lib/campaign.js';
import { isMainModule } from './lib/is-main.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      agents: { type: 'string', default: '20' },
      events: { type: 'string', default: '100' },
      rollouts: { type: 'string', default: '6' },
      calls: { type: 'string', default: '200' },
      kills: { type: 'string', default: '3' },
      hangs: { type: 'string', default: '3' },
      seed: { type: 'string', default: String(Date.now() % 1e9) },
      json: { type: 'boolean', default: false },
    },
  });
  const rep = await runSoak({
    agents: Number(values.agents),
    eventsPerAgent: Number(values.events),
    rolloutFiles: Number(values.rollouts),
    rolloutCalls: Number(values.calls),
    kills: Number(values.kills),
    hangs: Number(values.hangs),
    seed: Number(values.seed),
    settleTimeoutMs: 120_000,
    log: (m) => console.error(m),
  });
  console.log(values.json ? JSON.stringify(rep, null, 2) : soakMarkdown(rep));
  if (rep.lostKeys.length) console.log(`missing keys (first ${rep.lostKeys.length}):\n${rep.lostKeys.join('\n')}`);
  if (rep.lost > 0 || rep.duplicated > 0 || rep.integrity !== 'ok') process.exit(1);
}

if (isMainModule(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
