/**
 * `npm run pin-upstream -- <dir> --version <version>`: writes `<dir>/UPSTREAM.json`, the manifest
 * the build's snapshot gate checks (name, version, sha256 of every file), for a new upstream
 * release about to replace vendor/agent-monitor/. Run it on the new snapshot before the build.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isMainModule } from './lib/is-main.js';

const USAGE = 'usage: npm run pin-upstream -- <upstream snapshot dir> --version <version>';

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(path.relative(root, full).split(path.sep).join('/'));
    }
  };
  walk(root);
  return out;
}

/** Writes UPSTREAM.json for `dir` and returns its text; `name` is kept from an existing manifest. */
export function pinUpstream(dir: string, version: string): string {
  const manifestPath = path.join(dir, 'UPSTREAM.json');
  let name = 'agent-monitor';
  try {
    name = (JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { name?: string }).name ?? name;
  } catch {
    // no previous manifest
  }
  const files: Record<string, string> = {};
  for (const f of listFiles(dir)) {
    if (f !== 'UPSTREAM.json') files[f] = createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex');
  }
  const text = `${JSON.stringify({ name, version, source: `vendored snapshot of the ${name} ${version} release; never edit in place, see patches/`, files }, null, 2)}\n`;
  fs.writeFileSync(manifestPath, text);
  return text;
}

if (isMainModule(import.meta.url)) {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--version');
  const version = at >= 0 ? argv[at + 1] : undefined;
  const dir = argv.find((a, i) => !a.startsWith('--') && i !== at + 1);
  if (!dir || !version) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
  } else {
    const text = pinUpstream(path.resolve(dir), version);
    process.stdout.write(`[monitor-build] wrote ${path.join(dir, 'UPSTREAM.json')} (${Object.keys((JSON.parse(text) as { files: object }).files).length} files, version ${version})\n`);
  }
}
