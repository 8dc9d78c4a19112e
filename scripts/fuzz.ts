/**
 * `npm run fuzz -- [--count N] [--seconds S] [--seed N]`: seeded fuzzing of the hook route, the
 * read API, rollout lines, spool lines and config files (scripts/lib/campaign.ts), at most
 * `count` inputs and `seconds` per target. Exits 1 on any invariant violation.
 */
import { parseArgs } from 'node:util';
import { fuzzMarkdown, runFuzz } from './lib/campaign.js';
import { isMainModule } from './lib/is-main.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '2000' },
      seconds: { type: 'string', default: '60' },
      seed: { type: 'string', default: String(Date.now() % 1e9) },
      json: { type: 'boolean', default: false },
    },
  });
  const rep = await runFuzz({ seed: Number(values.seed), count: Number(values.count), secondsPerTarget: Number(values.seconds), log: (m) => console.error(m) });
  console.log(values.json ? JSON.stringify(rep, null, 2) : fuzzMarkdown(rep));
  let bad = 0;
  for (const [name, t] of Object.entries(rep.targets)) {
    for (const f of t.failures.slice(0, 10)) console.log(`${name}: ${f}`);
    bad += t.failures.length;
  }
  if (bad > 0 || rep.integrity !== 'ok') process.exit(1);
}

if (isMainModule(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
