// Patches to scripts/hook-handler.js (filled in below).
import type { PatchSpec } from '../src/patcher/types.js';

export const handlerPatches: PatchSpec[] = [];
