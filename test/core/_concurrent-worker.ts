/**
 * Child process for test/core/concurrency.test.ts. Waits until the given start time so that the
 * workers really overlap, then edits one config file.
 *   counter <file> <prefix> <n> <startAt>   n separate read-modify-writes, each adding one key
 *   claude  <dir> <handler> <startAt>       installClaudeHooks
 *   codex   <dir> <handler> <startAt>       installCodexHooks
 */
import { installClaudeHooks } from '../../src/core/claude-hooks.js';
import { installCodexHooks } from '../../src/core/codex-hooks.js';
import { editJsonConfig } from '../../src/core/json-config.js';

const [mode, a, b, c, d] = process.argv.slice(2);

async function waitUntil(at: string | undefined): Promise<void> {
  const t = Number(at);
  if (Number.isFinite(t) && t > Date.now()) await new Promise((r) => setTimeout(r, t - Date.now()));
}

async function main(): Promise<void> {
  if (mode === 'counter') {
    await waitUntil(d);
    for (let i = 0; i < Number(c); i++) {
      await editJsonConfig({ path: a!, transform: (doc) => ({ ...doc, [`${b}${i}`]: i }) });
    }
  } else if (mode === 'claude') {
    await waitUntil(c);
    await installClaudeHooks({ claudeConfigDir: a!, handlerPath: b! });
  } else if (mode === 'codex') {
    await waitUntil(c);
    await installCodexHooks({ codexHome: a!, handlerPath: b! });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
