/**
 * Gate 1: the pin files agree. `anchors/<id>.js` re-tokenized on its own must hash to the
 * `anchorSha256` in the spec (repin refuses to write a pair that does not, see
 * scripts/repin-patch.ts). The verdict is returned rather than reported, so the locator still
 * runs on a bad pin and both diagnostics reach the reader.
 */
import fs from 'node:fs';
import { errorText } from './file.js';
import { anchorTextPath } from './paths.js';
import { parsePin } from './pin.js';
import type { Pin } from './pin.js';
import type { Dialect } from './parse.js';
import type { PatchSpec } from './types.js';

export type PinRead =
  | { ok: true; pin: Pin; text: string }
  | { ok: false; problem: 'missing' }
  | { ok: false; problem: 'unreadable'; error: string }
  | { ok: false; problem: 'mismatch'; pin: Pin; text: string };

export function readPin(spec: PatchSpec, patchesDir: string, dialect: Dialect): PinRead {
  let text: string;
  try {
    text = fs.readFileSync(anchorTextPath(patchesDir, spec.id), 'utf8');
  } catch {
    return { ok: false, problem: 'missing' };
  }
  let pin: Pin;
  try {
    pin = parsePin(text, dialect);
  } catch (err) {
    return { ok: false, problem: 'unreadable', error: errorText(err) };
  }
  if (pin.sha256 !== spec.anchorSha256) return { ok: false, problem: 'mismatch', pin, text };
  return { ok: true, pin, text };
}
