/**
 * Entry of build/agent-monitor/server/host/rollout-worker.cjs: runs the rollout engine (watcher,
 * sweep, import) on its own thread with its own SQLite connection, so a 50 MB import never blocks
 * the HTTP thread. Reports one coalesced change per committed batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RolloutEngine } from './engine.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import type { ImportChange } from './import.js';

function post(msg: FromWorker): void {
  parentPort?.postMessage(msg);
}

/**
 * Import changes go to the main thread merged, at most one message per CHANGE_FRAME_MS (the first at
 * once, so a live append shows without delay): an import of 50,000 history files is a few hundred
 * messages instead of one per committed batch, each of which the HTTP thread would deserialize
 * (its CPU during the import, and a young generation grown to its maximum long after).
 */
const CHANGE_FRAME_MS = 250;
const pendingIds = new Set<string>();
let pendingInserted = 0;
let frameTimer: NodeJS.Timeout | null = null;
let lastFrame = -Infinity;

function sendChanges(): void {
  if (frameTimer) clearTimeout(frameTimer);
  frameTimer = null;
  lastFrame = performance.now();
  if (pendingIds.size === 0 && pendingInserted === 0) return;
  const change = { sessionIds: [...pendingIds], inserted: pendingInserted };
  pendingIds.clear();
  pendingInserted = 0;
  post({ type: 'change', change });
}

function queueChange(change: ImportChange): void {
  for (const id of change.sessionIds) pendingIds.add(id);
  pendingInserted += change.inserted;
  if (frameTimer) return;
  const wait = lastFrame + CHANGE_FRAME_MS - performance.now();
  if (wait <= 0) sendChanges();
  else frameTimer = setTimeout(sendChanges, wait);
}

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  let engine: RolloutEngine;
  try {
    engine = await RolloutEngine.start({
      ...init,
      onChange: queueChange,
      onStatus: (status) => post({ type: 'status', status }),
      log: (msg) => post({ type: 'log', msg }),
    });
  } catch (err) {
    post({ type: 'failed', error: (err as Error).message });
    return;
  }
  parentPort?.on('message', (msg: ToWorker) => {
    switch (msg.type) {
      case 'flush':
        void engine
          .flush()
          .then(() => post({ type: 'status', status: engine.status() }))
          .finally(() => {
            sendChanges(); // everything imported so far is announced before the flush answers
            post({ type: 'flushed', id: msg.id });
          });
        break;
      case 'import-claude':
        engine.importClaudeFile(msg.path);
        break;
      case 'close':
        void engine.close().finally(() => {
          sendChanges();
          post({ type: 'closed' });
          parentPort?.close();
        });
        break;
      default: {
        const never: never = msg;
        throw new Error(`[rollout-worker] unknown message ${JSON.stringify(never)}`);
      }
    }
  });
  post({ type: 'ready', status: engine.status() });
}

void main();
