/**
 * One refresh at a time, and none lost: the ids of the calls that come while a refresh runs are
 * merged and refreshed once, right after it. (Dropping them would leave a view stale until the next
 * change, e.g. a session still marked "importing" after the last batch of its history came in.)
 */
export function mergedRefresh(run: (ids: string[]) => Promise<void>): (ids: string[]) => Promise<void> {
  let running: Promise<void> | null = null;
  let again: Set<string> | null = null;
  const refresh = async (ids: string[]): Promise<void> => {
    if (running) {
      again ??= new Set();
      for (const id of ids) again.add(id);
      return;
    }
    running = run(ids).finally(() => {
      running = null;
      const next = again;
      again = null;
      if (next) void refresh([...next]);
    });
    await running;
  };
  return refresh;
}
