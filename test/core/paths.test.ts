import { describe, expect, it } from 'vitest';
import { defaultPaths } from '../../src/core/paths.js';

describe('defaultPaths', () => {
  it('linux without overrides', () => {
    expect(defaultPaths({ env: {}, homedir: '/home/alex', platform: 'linux' })).toEqual({
      dataDir: '/home/alex/.local/share/agent-monitor-host',
      claudeConfigDir: '/home/alex/.claude',
      codexHome: '/home/alex/.codex',
    });
  });
  it('linux with XDG_DATA_HOME (a relative one is ignored, per the XDG spec)', () => {
    expect(defaultPaths({ env: { XDG_DATA_HOME: '/xdg' }, homedir: '/home/alex', platform: 'linux' }).dataDir).toBe('/xdg/agent-monitor-host');
    expect(defaultPaths({ env: { XDG_DATA_HOME: 'rel' }, homedir: '/home/alex', platform: 'linux' }).dataDir).toBe('/home/alex/.local/share/agent-monitor-host');
  });
  it('macOS', () => {
    expect(defaultPaths({ env: {}, homedir: '/Users/alex', platform: 'darwin' }).dataDir).toBe('/Users/alex/Library/Application Support/agent-monitor-host');
  });
  it('Windows', () => {
    expect(defaultPaths({ env: { APPDATA: 'C:\\Users\\alex\\AppData\\Roaming' }, homedir: 'C:\\Users\\alex', platform: 'win32' })).toEqual({
      dataDir: 'C:\\Users\\alex\\AppData\\Roaming\\agent-monitor-host',
      claudeConfigDir: 'C:\\Users\\alex\\.claude',
      codexHome: 'C:\\Users\\alex\\.codex',
    });
  });
  it('env overrides win; empty values are ignored', () => {
    expect(defaultPaths({ env: { AGENT_MONITOR_DATA_DIR: '/d', CLAUDE_CONFIG_DIR: '/c', CODEX_HOME: '/x', XDG_DATA_HOME: '/xdg' }, homedir: '/h', platform: 'linux' })).toEqual({ dataDir: '/d', claudeConfigDir: '/c', codexHome: '/x' });
    expect(defaultPaths({ env: { CODEX_HOME: '' }, homedir: '/h', platform: 'linux' }).codexHome).toBe('/h/.codex');
  });
});
