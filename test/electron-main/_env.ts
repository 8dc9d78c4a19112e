/**
 * Shared setup for main-process tests: a temp world (data dir, Claude config dir, CODEX_HOME,
 * handler sources) plus the real settings backend and the real HookService.
 */
import fs from 'node:fs';
import { tempDir } from '../helpers/temp.js';
import path from 'node:path';
import { createHookService, type HookService } from '../../src/core/hook-service.js';
import type { SettingsBackend } from '../../src/core/settings.js';

export interface TempWorld {
  root: string;
  dataDir: string;
  claudeConfigDir: string;
  codexHome: string;
  claudeSettingsFile: string;
  codexHooksFile: string;
  handlerSources: { claude: string; codex: string };
}

export function createTempWorld(prefix = 'shell-'): TempWorld {
  const root = tempDir(prefix); // removed when the test (or, from beforeAll, the file) is done
  const dataDir = path.join(root, 'data');
  const claudeConfigDir = path.join(root, 'claude');
  const codexHome = path.join(root, 'codex');
  const handlers = path.join(root, 'handler-sources');
  for (const d of [dataDir, claudeConfigDir, codexHome, handlers]) fs.mkdirSync(d, { recursive: true });
  const claude = path.join(handlers, 'hook-handler.js');
  const codex = path.join(handlers, 'codex-hook-handler.js');
  fs.writeFileSync(claude, '// test stand-in for the upstream Claude hook handler\n');
  fs.writeFileSync(codex, '// test stand-in for src/handlers/codex-hook-handler.js\n');
  fs.writeFileSync(path.join(handlers, 'codex-hook.sh'), '# test stand-in for src/handlers/codex-hook.sh\n');
  return {
    root,
    dataDir,
    claudeConfigDir,
    codexHome,
    claudeSettingsFile: path.join(claudeConfigDir, 'settings.json'),
    codexHooksFile: path.join(codexHome, 'hooks.json'),
    handlerSources: { claude, codex },
  };
}

export function realHookService(world: TempWorld, settings: SettingsBackend, extra: Partial<Parameters<typeof createHookService>[0]> = {}): HookService {
  return createHookService({
    settings,
    paths: { dataDir: world.dataDir, claudeConfigDir: world.claudeConfigDir, codexHome: world.codexHome },
    handlerSources: world.handlerSources,
    ...extra,
  });
}

/** Commands of our Codex entries, whichever transport was installed (Node or sh + curl). */
export function codexCommands(file: string): string[] {
  return [...ourCommands(file, 'codex-hook-handler.js'), ...ourCommands(file, 'codex-hook.sh')];
}

/** Commands of our entries (by handler file name) in a hooks file; [] when absent. */
export function ourCommands(file: string, handlerFile: string): string[] {
  if (!fs.existsSync(file)) return [];
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { hooks?: Record<string, Array<{ hooks?: Array<{ command?: string }> }>> };
  const out: string[] = [];
  for (const groups of Object.values(doc.hooks ?? {})) {
    for (const g of groups) for (const h of g.hooks ?? []) if (h.command?.includes(`/${handlerFile}"`) || h.command?.includes(`\\${handlerFile}"`)) out.push(h.command);
  }
  return out;
}
