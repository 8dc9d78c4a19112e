/**
 * The Electron host's store of the team connection strings: each encrypted with Electron's
 * `safeStorage` (macOS Keychain, Windows DPAPI, libsecret/kwallet on Linux) and kept, base64, in
 * `<data dir>/team-secrets.safe.json` (0600) by src/core/team-secrets.ts. When safeStorage cannot
 * encrypt (no keyring, or Linux's `basic_text` backend, which is a fixed key and so plain text in
 * effect) nothing is stored: the user gets a message saying so and what to do instead. Electron-free
 * at run time like ipc-handlers.ts: the caller passes `safeStorage` in (tests mock it).
 */
import path from 'node:path';
import type { SafeStorage } from 'electron';
import { TEAM_SECRETS_SAFE_FILE, createSecretFileStore, type SecretStorageInfo, type TeamSecretStore } from '../core/team-secrets.js';

export type SafeStorageLike = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'> & Partial<Pick<SafeStorage, 'getSelectedStorageBackend'>>;

export const PLAIN_TEXT_REFUSAL =
  'Connection strings are not stored: this system offers no encrypted storage (Electron safeStorage: no OS keychain or secret service), and they would otherwise be kept in plain text. Unlock or install a keychain (e.g. gnome-keyring or KWallet), or use the headless runner, which keeps them in a file only you can read (npm run monitor -- serve --team-db …).';

export function safeStorageInfo(safeStorage: SafeStorageLike, file: string): SecretStorageInfo {
  let available = false;
  try {
    available = safeStorage.isEncryptionAvailable();
    if (available && process.platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') available = false;
  } catch {
    available = false;
  }
  return available
    ? { available: true, where: `${file}, encrypted with the OS keychain (Electron safeStorage)` }
    : { available: false, where: file, error: PLAIN_TEXT_REFUSAL };
}

export function createSafeStorageSecretStore({ dataDir, safeStorage }: { dataDir: string; safeStorage: SafeStorageLike }): TeamSecretStore {
  const file = path.join(dataDir, TEAM_SECRETS_SAFE_FILE);
  return createSecretFileStore({
    file,
    codec: {
      encode: (plain) => {
        const info = safeStorageInfo(safeStorage, file);
        if (!info.available) throw new Error(PLAIN_TEXT_REFUSAL);
        return safeStorage.encryptString(plain).toString('base64');
      },
      decode: (stored) => safeStorage.decryptString(Buffer.from(stored, 'base64')),
      info: () => safeStorageInfo(safeStorage, file),
    },
  });
}
