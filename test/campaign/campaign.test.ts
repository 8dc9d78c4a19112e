/**
 * Short runs of the soak and fuzz campaign (scripts/lib/campaign.ts); the long runs and their
 * figures are in docs/reliability.md. Real sidecar and handler processes, temp folders only.
 */
import { describe, expect, it } from 'vitest';
import { runFuzz, runSoak } from '../../scripts/lib/campaign.js';

describe('campaign (short)', () => {
  it('soak: concurrent agents through the real handlers, sidecar killed and hung, rollouts live and rewritten: nothing lost, nothing twice', async () => {
    const rep = await runSoak({ agents: 4, eventsPerAgent: 12, rolloutFiles: 3, rolloutCalls: 20, kills: 1, hangs: 1, hangMs: 800, seed: 10, settleTimeoutMs: 30_000 });
    expect(rep.lostKeys, JSON.stringify(rep.lostKeys)).toEqual([]);
    expect(rep).toMatchObject({ lost: 0, duplicated: 0, handlerFailures: 0, integrity: 'ok', countedDrops: 0 });
    expect(rep.faults).toMatchObject({ kills: 1, hangs: 1, rolloutRewrites: 1 });
    expect(rep.sent.total).toBe(4 * 12 + 3 * 20 * 2);
  }, 90_000);

  it('fuzz: hook posts, API paths, spool lines, rollout lines and config files break no invariant', async () => {
    const rep = await runFuzz({ seed: 20, count: 120, secondsPerTarget: 8 });
    for (const [name, t] of Object.entries(rep.targets)) {
      expect(t.failures, name).toEqual([]);
      expect(t.tried, name).toBeGreaterThan(0);
    }
    expect(rep.integrity).toBe('ok');
  }, 90_000);
});
