// The `electron` module as main-process tests see it (the binary is not installed here): ipcMain records handlers
// like real Electron (a second handle() for a channel throws), app.getPath('userData') is the
// test's temp dir. Use: vi.mock('electron', async () => (await import('./_electron-mock.js')).electronModule());
import { vi } from 'vitest';

/** A shown desktop notification, as the mocked `Notification` recorded it. */
export interface MockNotification {
  options: { title: string; body: string };
  shown: boolean;
  closed: boolean;
  click(): void;
}

export const electronState = {
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
  userData: '/nonexistent',
  notifications: [] as MockNotification[],
  notificationsSupported: true,
  badgeCounts: [] as number[],
  /** safeStorage: whether it can encrypt, and the backend it names (Linux: 'basic_text' = no keyring). */
  safeStorageAvailable: true,
  safeStorageBackend: 'gnome_libsecret',
};

/** The mocked safeStorage's "encryption": a marker and the bytes XOR-ed, so a test can see the plain text is gone. */
export function mockEncrypt(plain: string): Buffer {
  return Buffer.concat([Buffer.from('mock-safe:'), Buffer.from(plain, 'utf8').map((b) => b ^ 0x5a)]);
}

export function electronModule(): Record<string, unknown> {
  const h = electronState;
  const app = {
    getPath: vi.fn(() => h.userData),
    getVersion: () => '0.0.0-test',
    setBadgeCount: vi.fn((n: number) => {
      h.badgeCounts.push(n);
      return true;
    }),
  };
  class Notification implements MockNotification {
    static isSupported = (): boolean => h.notificationsSupported;
    shown = false;
    closed = false;
    private readonly listeners = new Map<string, () => void>();
    constructor(readonly options: { title: string; body: string }) {
      h.notifications.push(this);
    }
    on(event: string, fn: () => void): this {
      this.listeners.set(event, fn);
      return this;
    }
    show(): void {
      this.shown = true;
    }
    close(): void {
      this.closed = true;
      this.listeners.get('close')?.();
    }
    click(): void {
      this.listeners.get('click')?.();
    }
  }
  const ipcMain = {
    handle: vi.fn((channel: string, fn: (event: unknown, ...args: unknown[]) => unknown) => {
      if (h.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      h.handlers.set(channel, fn);
    }),
    removeHandler: vi.fn((channel: string) => h.handlers.delete(channel)),
    on: vi.fn(),
  };
  const safeStorage = {
    isEncryptionAvailable: () => h.safeStorageAvailable,
    getSelectedStorageBackend: () => h.safeStorageBackend,
    encryptString: (plain: string): Buffer => {
      if (!h.safeStorageAvailable) throw new Error('Encryption is not available.');
      return mockEncrypt(plain);
    },
    decryptString: (buf: Buffer): string => {
      const marker = Buffer.from('mock-safe:');
      if (!buf.subarray(0, marker.length).equals(marker)) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return Buffer.from(buf.subarray(marker.length).map((b) => b ^ 0x5a)).toString('utf8');
    },
  };
  const mod = { app, ipcMain, Notification, safeStorage, shell: { openPath: vi.fn() } };
  return { ...mod, default: mod }; // `default` too: electron-store does `import electron from 'electron'`
}
