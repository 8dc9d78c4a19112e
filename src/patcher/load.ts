import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PatchSpec } from './types.js';

/**
 * Loads `export const allPatches: PatchSpec[]` from `<patchesDir>/index.ts`. A runtime import
 * (not a static one) so the scripts can point at any patches folder, and so this module
 * typechecks before the real patch list exists. Needs a TS-aware loader (tsx or vitest).
 */
export async function loadPatchList(patchesDir: string): Promise<PatchSpec[]> {
  const candidates = ['index.ts', 'index.js'].map((f) => path.join(patchesDir, f));
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) throw new Error(`[monitor-build] no patch list: expected ${candidates[0]} exporting \`allPatches\``);
  const mod = (await import(pathToFileURL(file).href)) as { allPatches?: unknown };
  if (!Array.isArray(mod.allPatches)) throw new Error(`[monitor-build] ${file} does not export \`allPatches: PatchSpec[]\``);
  return mod.allPatches as PatchSpec[];
}
