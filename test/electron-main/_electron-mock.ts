// The `electron` module as main-process tests see it (the binary is not installed here): ipcMain records handlers
// like real Electron (a second handle() for a channel throws), app.getPath('userData') is the
// test's temp dir. Use: vi.mock('electron', async () => (await import('./_electron-mock.js')).electronModule());
import { vi } from 'vitest';

export const electronState = {
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
  userData: '/nonexistent',
};

export function electronModule(): Record<string, unknown> {
  const h = electronState;
  const app = { getPath: vi.fn(() => h.userData), getVersion: () => '0.0.0-test' };
  const ipcMain = {
    handle: vi.fn((channel: string, fn: (event: unknown, ...args: unknown[]) => unknown) => {
      if (h.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      h.handlers.set(channel, fn);
    }),
    removeHandler: vi.fn((channel: string) => h.handlers.delete(channel)),
    on: vi.fn(),
  };
  const mod = { app, ipcMain, shell: { openPath: vi.fn() } };
  return { ...mod, default: mod }; // `default` too: electron-store does `import electron from 'electron'`
}
