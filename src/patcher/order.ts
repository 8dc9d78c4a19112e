/** Ordering patches by `after`: Kahn's algorithm, ties broken by declaration order. */
import { createOrderFailure } from './messages.js';
import { displayPath, field } from './report.js';
import { specPath } from './paths.js';
import type { PatchFailure, PatchSpec } from './types.js';

export interface Ordered {
  order: PatchSpec[];
  failures: Array<{ spec: PatchSpec; failure: PatchFailure }>;
}

function orderFailure(spec: PatchSpec, headline: string, details: string[], next: string): { spec: PatchSpec; failure: PatchFailure } {
  return { spec, failure: createOrderFailure({ subject: spec, headline, details, next }) };
}

/** Kahn's algorithm, breaking ties by declaration order so the edit order (and the output) is deterministic. */
export function orderPatches(patches: readonly PatchSpec[], patchesDir: string): Ordered {
  const failures: Ordered['failures'] = [];
  const byId = new Map<string, PatchSpec>();
  const index = new Map<PatchSpec, number>();
  patches.forEach((p, i) => index.set(p, i));
  const usable: PatchSpec[] = [];
  for (const p of patches) {
    if (byId.has(p.id)) {
      failures.push(
        orderFailure(p, `id "${p.id}" is declared twice`, [field('file', p.file)], `Give each patch a unique id (patch list order: ${patches.map((x) => x.id).join(', ')}).`),
      );
      continue;
    }
    byId.set(p.id, p);
    usable.push(p);
  }
  const deps = new Map<PatchSpec, PatchSpec[]>();
  const bad = new Set<PatchSpec>();
  for (const p of usable) {
    const list: PatchSpec[] = [];
    for (const dep of p.after ?? []) {
      const target = byId.get(dep);
      if (!target) {
        failures.push(
          orderFailure(
            p,
            `after "${dep}" names no known patch`,
            [field('known', [...byId.keys()].join(', '))],
            `Fix the \`after\` list in ${displayPath(specPath(patchesDir, p.id))}.`,
          ),
        );
        bad.add(p);
      } else if (target === p) {
        failures.push(orderFailure(p, `it lists itself in \`after\``, [], `Remove "${p.id}" from its own \`after\` list.`));
        bad.add(p);
      } else list.push(target);
    }
    deps.set(p, list);
  }
  const placed = new Set<PatchSpec>();
  const order: PatchSpec[] = [];
  const pending = usable.filter((p) => !bad.has(p));
  for (;;) {
    const ready = pending.filter((p) => !placed.has(p) && deps.get(p)!.every((d) => placed.has(d) || bad.has(d)));
    if (ready.length === 0) break;
    ready.sort((a, b) => index.get(a)! - index.get(b)!);
    const next = ready[0]!;
    placed.add(next);
    order.push(next);
  }
  const stuck = pending.filter((p) => !placed.has(p));
  for (const p of stuck) {
    const cycle = findCycle(p, deps, new Set(stuck));
    if (cycle) {
      failures.push(
        orderFailure(
          p,
          'its `after` list forms a cycle',
          [field('cycle', cycle.map((c) => c.id).join(' → '))],
          'Break the cycle: one of these patches must not list the other in `after`.',
        ),
      );
    } else {
      const blockers = deps.get(p)!.filter((d) => stuck.includes(d));
      failures.push(
        orderFailure(
          p,
          `it follows ${blockers.map((b) => `"${b.id}"`).join(', ')}, which cannot be ordered`,
          [],
          'Fix the cycle reported for that patch first.',
        ),
      );
    }
  }
  return { order, failures };
}

/** A path p → … → p through `after` edges, or null when p only leads into someone else's cycle. */
function findCycle(start: PatchSpec, deps: Map<PatchSpec, PatchSpec[]>, within: Set<PatchSpec>): PatchSpec[] | null {
  const stack: PatchSpec[] = [];
  const seen = new Set<PatchSpec>();
  const visit = (p: PatchSpec): PatchSpec[] | null => {
    stack.push(p);
    for (const d of deps.get(p) ?? []) {
      if (!within.has(d)) continue;
      if (d === start) return [...stack, start];
      if (seen.has(d)) continue;
      seen.add(d);
      const found = visit(d);
      if (found) return found;
    }
    stack.pop();
    return null;
  };
  return visit(start);
}

