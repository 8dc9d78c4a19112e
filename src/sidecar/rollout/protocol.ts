/** Messages between the rollout worker thread and the main (HTTP) thread. */
import type { WatcherStatus } from './engine.js';
import type { ImportChange } from './import.js';

export interface WorkerInit {
  dbPath: string;
  codexHome: string;
  claudeDir?: string | null;
  claudeConsentFile?: string | null;
  sweepIntervalMs?: number;
  /** The HTTP thread's WriteTurn buffer (src/sidecar/write-turn.ts); absent: fixed lock-free gaps. */
  writeTurn?: SharedArrayBuffer;
  /** EngineOptions.heapReleaseBytes (tests); absent: the default. */
  heapReleaseBytes?: number;
}

export type ToWorker = { type: 'flush'; id: number } | { type: 'close' } | { type: 'import-claude'; path: string };

export type FromWorker =
  | { type: 'ready'; status: WatcherStatus }
  | { type: 'change'; change: ImportChange }
  | { type: 'status'; status: WatcherStatus }
  | { type: 'log'; msg: string }
  | { type: 'flushed'; id: number }
  | { type: 'closed' }
  | { type: 'failed'; error: string };
