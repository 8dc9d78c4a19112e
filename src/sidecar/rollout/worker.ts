/**
 * Entry of build/agent-monitor/server/host/rollout-worker.cjs: runs the rollout engine (watcher,
 * sweep, import) on its own thread with its own SQLite connection, so a 50 MB import never blocks
 * the HTTP thread. Reports the committed batches' changes, merged (at most one message per 250 ms).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RolloutEngine } from './engine.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import type { ImportChange } from './import.js';
import { IdCoalescer } from '../coalesce.js';

function post(msg: FromWorker): void {
  parentPort?.postMessage(msg);
}

/**
 * Import changes go to the main thread merged, at most one message per CHANGE_FRAME_MS (the first at
 * once, so a live append shows without delay): an import of 50,000 history files is a few hundred
 * messages instead of one per committed batch, and each message is one `sessions_changed` frame
 * there (every frame makes each open dashboard refetch its session list).
 */
const CHANGE_FRAME_MS = 250;
const changes = new IdCoalescer(CHANGE_FRAME_MS);
/** Rows inserted by the batches whose ids are waiting in `changes`. */
let pendingInserted = 0;

function queueChange(change: ImportChange): void {
  pendingInserted += change.inserted;
  changes.add(change.sessionIds, (sessionIds) => {
    post({ type: 'change', change: { sessionIds, inserted: pendingInserted } });
    pendingInserted = 0;
  });
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
            changes.flush(); // everything imported so far is announced before the flush answers
            post({ type: 'flushed', id: msg.id });
          });
        break;
      case 'import-claude':
        engine.importClaudeFile(msg.path);
        break;
      case 'close':
        void engine.close().finally(() => {
          changes.flush();
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
