/** Helpers for the build tests: temp dirs, tree listing, copies of the real upstream. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/temp.js';
import { repoRoot } from '../../scripts/build-agent-monitor.js';

export const vendorDir = path.join(repoRoot, 'vendor', 'agent-monitor');

/**
 * Builds into temp folders outside the repo: the materialized server requires 'better-sqlite3' by
 * bare name, which only resolves from inside the repo, so the build's runtime gates (which inherit
 * this env) get the repo's node_modules on NODE_PATH.
 */
export function allowOutOfRepoBuilds(): void {
  const modules = path.join(repoRoot, 'node_modules');
  const current = process.env.NODE_PATH ? process.env.NODE_PATH.split(path.delimiter) : [];
  if (!current.includes(modules)) process.env.NODE_PATH = [modules, ...current].join(path.delimiter);
}

export { tempDir };

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** Every file under root (posix relative paths, sorted). */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(path.relative(root, full).split(path.sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

/** A copy of the real vendored upstream in a temp dir. */
export function copyUpstream(into = tempDir('am-upstream-copy-')): string {
  const dest = path.join(into, 'agent-monitor');
  fs.cpSync(vendorDir, dest, { recursive: true });
  return dest;
}

/** Re-pins UPSTREAM.json's file hashes, as a new upstream release ships them (optionally a new version). */
export function regenerateManifest(upstreamDir: string, version?: string): void {
  const manifestPath = path.join(upstreamDir, 'UPSTREAM.json');
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { version: string; files: Record<string, string> };
  const files: Record<string, string> = {};
  for (const f of listTree(upstreamDir)) if (f !== 'UPSTREAM.json') files[f] = sha256(fs.readFileSync(path.join(upstreamDir, f)));
  manifest.files = files;
  if (version) manifest.version = version;
  fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Replaces temp paths and the repo root in a message with stable tokens. */
export function normalise(text: string, dirs: Record<string, string>): string {
  let out = text;
  for (const [token, dir] of Object.entries(dirs).sort((a, b) => b[1].length - a[1].length)) out = out.split(dir).join(token);
  // The build prints some paths relative to the working directory ("../../tmp/…" → "<tmp>").
  out = out.replace(/(?:\.\.\/)*\.\.(<[a-z-]+>)/g, '$1');
  return out.split(repoRoot).join('<repo>');
}
