/**
 * Entry of build/agent-monitor/server/host/rollout-worker.cjs: runs the rollout engine (watcher,
 * sweep, import) on its own thread with its own SQLite connection, so a 50 MB import never blocks
 * the HTTP thread. Reports one coalesced change per committed batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RolloutEngine } from './engine.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

function post(msg: FromWorker): void {
  parentPort?.postMessage(msg);
}

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  let engine: RolloutEngine;
  try {
    engine = await RolloutEngine.start({
      ...init,
      onChange: (change) => post({ type: 'change', change }),
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
        void engine.flush().then(() => post({ type: 'status', status: engine.status() })).finally(() => post({ type: 'flushed', id: msg.id }));
        break;
      case 'import-claude':
        engine.importClaudeFile(msg.path);
        break;
      case 'close':
        void engine.close().finally(() => {
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
