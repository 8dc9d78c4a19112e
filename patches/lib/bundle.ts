// Bundles a typed browser module into an IIFE for a patch to insert (esbuild, synchronous so a
// patch edit can call it). Deterministic for identical inputs; cached per entry for one process.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cache = new Map<string, string>();

/** `var <globalName> = (() => { … })();` for `entry` (repo-relative), ES2020, no comments. */
export function bundleIife(entry: string, globalName: string): string {
  const key = `${entry}\0${globalName}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const result = esbuild.buildSync({
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    globalName,
    platform: 'browser',
    target: 'es2020',
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  // The IIFE goes mid-file into a script that is already strict: drop esbuild's directive.
  const text = result.outputFiles[0]!.text.replace(/^"use strict";\n/, '').trimEnd();
  cache.set(key, text);
  return text;
}
