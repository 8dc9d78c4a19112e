// The headless runner as a user runs it: `tsx scripts/monitor.ts …` with every folder in a temp
// dir. Serve prints the dashboard URL, applies the consent flags and reconciles hook files;
// Ctrl-C stops the sidecar cleanly; status/enable/disable reach the same operations as IPC.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { repoRoot } from '../../scripts/build-agent-monitor.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const TSX = join(repoRoot, 'node_modules', '.bin', 'tsx');
const MONITOR = join(repoRoot, 'scripts', 'monitor.ts');
function layout() {
  const root = tempDir('am-runner-');
  const folders = { data: join(root, 'data'), claude: join(root, 'claude'), codex: join(root, 'codex') };
  const args = ['--data-dir', folders.data, '--claude-dir', folders.claude, '--codex-home', folders.codex, '--port', '0'];
  // HOME too, so nothing can fall back to the real home folder.
  const env = { ...process.env, HOME: root, CODEX_HOME: '', CLAUDE_CONFIG_DIR: '', AGENT_MONITOR_DATA_DIR: '' };
  return { root, folders, args, env };
}

const ours = (file: string, handler: string): number =>
  existsSync(file) ? (readFileSync(file, 'utf8').match(new RegExp(`/${handler.replace('.', '\\.')}`, 'g')) ?? []).length : 0;

/** Our Codex entries, whichever transport the installer chose on this machine (Node or sh + curl). */
const codexOurs = (file: string): number => ours(file, 'codex-hook-handler.js') + ours(file, 'codex-hook.sh');

describe('npm run monitor (headless runner)', () => {
  test('serve: prints the dashboard URL, installs the consented hooks, stops cleanly on SIGINT', async () => {
    const { folders, args, env } = layout();
    const child = spawn(TSX, [MONITOR, 'serve', ...args, '--claude', 'on', '--codex', 'on'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const url = await waitFor('the dashboard URL', async () => /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1], 60_000);
    const health = (await (await fetch(`${url}api/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');

    const runtime = join(folders.data, 'runtime.json');
    expect(statSync(runtime).mode & 0o777).toBe(0o600);
    expect(ours(join(folders.claude, 'settings.json'), 'hook-handler.js')).toBeGreaterThan(0);
    expect(codexOurs(join(folders.codex, 'hooks.json'))).toBeGreaterThan(0);
    expect(out).toContain('claude hooks: on');
    expect(out).toContain('codex hooks: on');

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(runtime)).toBe(false);
  }, 90_000);

  test('status, disable and enable act on the saved consent and the hook files', () => {
    const { folders, args, env } = layout();
    const run = (...a: string[]) => spawnSync(TSX, [MONITOR, ...a, ...args], { env, encoding: 'utf8', timeout: 60_000 });

    let r = run('enable', 'claude');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('claude: on');
    r = run('enable', 'codex');
    expect(r.stdout).toContain('codex: on');
    expect(codexOurs(join(folders.codex, 'hooks.json'))).toBeGreaterThan(0);

    r = run('status');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Claude hooks\s+on/);
    expect(r.stdout).toMatch(/Codex hooks\s+on/);
    expect(r.stdout).toMatch(/Codex trust\s+untrusted/);
    expect(r.stdout).toContain('run /hooks in Codex');
    // Which transport each agent uses, and why (Claude: no `claude` on this PATH → command hooks).
    expect(r.stdout).toMatch(/Claude transport (command|http)\b.*; an install here uses (command|http): \S/);
    expect(r.stdout).toMatch(new RegExp(`Codex transport ${codexOurs(join(folders.codex, 'hooks.json')) > 0 && ours(join(folders.codex, 'hooks.json'), 'codex-hook.sh') > 0 ? 'sh-curl' : 'node'}; an install here uses (sh-curl|node): \\S`));
    // Losses are shown even with no sidecar running: read from the spool folder.
    expect(r.stdout).toMatch(/sidecar health\s+not running/);
    expect(r.stdout).toMatch(/spool\s+0 bytes waiting; 0 dropped; 0 malformed .*; 0 quarantined/);
    mkdirSync(join(folders.data, 'spool'), { recursive: true });
    writeFileSync(join(folders.data, 'spool', 'dropped.json'), JSON.stringify({ dropped: 3 }));
    expect(run('status').stdout).toMatch(/spool\s+0 bytes waiting; 3 dropped;/);
    // settings.json holds the user's choices: private.
    expect(statSync(join(folders.data, 'settings.json')).mode & 0o777).toBe(0o600);

    r = run('disable', 'claude');
    expect(r.stdout).toContain('claude: off');
    // Codex hooks need Claude tracking on: both files lose our entries; the Codex intent is kept.
    expect(ours(join(folders.claude, 'settings.json'), 'hook-handler.js')).toBe(0);
    expect(codexOurs(join(folders.codex, 'hooks.json'))).toBe(0);
    const saved = JSON.parse(readFileSync(join(folders.data, 'settings.json'), 'utf8')) as Record<string, boolean>;
    expect(saved).toMatchObject({ hooksEnabled: false, codexOptIn: true });
  }, 120_000);

  test('enable/disable dashboard save the setting and return: exit 0 within the bound, no server started', () => {
    const { folders, args, env } = layout();
    const run = (...a: string[]) => spawnSync(TSX, [MONITOR, ...a, ...args], { env, encoding: 'utf8', timeout: 60_000 });
    let r = run('disable', 'dashboard');
    expect(r.signal, 'still running when the bound ran out').toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('dashboard: off');
    r = run('enable', 'dashboard');
    expect(r.signal, 'still running when the bound ran out').toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('dashboard: on');
    expect(existsSync(join(folders.data, 'runtime.json'))).toBe(false); // no sidecar was started
    const saved = JSON.parse(readFileSync(join(folders.data, 'settings.json'), 'utf8')) as Record<string, boolean>;
    expect(saved.agentMonitorEnabled).toBe(true);
  }, 150_000);

  test.each([
    [['status', '--bogus'], "Unknown option '--bogus'"],
    [['serve', '--port'], "Option '--port <value>' argument missing"],
    [['serve', '--port', '--claude', 'on'], "Option '--port' argument is ambiguous"],
    [['enable'], 'enable needs exactly one family'],
    [['enable', 'claude', 'codex'], 'enable needs exactly one family'],
    [['status', 'extra'], 'status takes no arguments'],
    [['enable', 'claude', '--claude', 'on'], '--claude and --codex are for serve'],
    [['serve', '--codex', 'yes'], '--codex takes on or off'],
    [['serve', '--port', '80a'], '--port must be 0–65535'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['enable', 'cladue'], 'unknown family "cladue"'],
  ])('%j is rejected with the usage text (exit 2)', (argv, message) => {
    const { args, env } = layout();
    // The folder options first, so that the case under test comes last (`--port` with no value).
    const r = spawnSync(TSX, [MONITOR, ...args, ...argv], { env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('usage: npm run monitor --');
  }, 60_000);
});

describe('npm run monitor: the team flags', () => {
  test('serve --team-db/--team-view-db/--share-text/--otlp-endpoint: saved (secrets 0600, redacted everywhere), the sidecar gets them, status shows them', async () => {
    const { folders, args, env } = layout();
    const push = 'postgres://pusher:Pu5h-S3cret@127.0.0.1:1/agents?sslmode=disable';
    const view = 'postgres://reader:V13w-S3cret@127.0.0.1:1/agents';
    const otlp = 'http://127.0.0.1:9';
    const child = spawn(TSX, [MONITOR, 'serve', ...args, '--team-db', push, '--team-view-db', view, '--share-text', 'on', '--otlp-endpoint', otlp], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await waitFor('the dashboard URL', async () => /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1], 60_000);

    expect(out).toContain('team sync: on (postgres://pusher:***@127.0.0.1:1/agents?sslmode=disable)');
    expect(out).toContain('API list-price cost estimates');
    expect(out).toContain('team view: postgres://reader:***@127.0.0.1:1/agents');
    expect(out).toContain('shared text: on');
    expect(out).toContain(`OTLP export: ${otlp}`);
    // The sidecar was started with them: its OTLP export runs against the endpoint, text included.
    const runtime = JSON.parse(readFileSync(join(folders.data, 'runtime.json'), 'utf8')) as { token: string };
    const status = (await (await fetch(`${url}api/host/status`, { headers: { Authorization: `Bearer ${runtime.token}` } })).json()) as { otlp: { endpoint: string; share_text: boolean } };
    expect(status.otlp).toMatchObject({ endpoint: otlp, share_text: true });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).not.toMatch(/Pu5h-S3cret|V13w-S3cret/);

    const secrets = join(folders.data, 'team-secrets.json');
    expect(statSync(secrets).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(secrets, 'utf8'))).toEqual({ version: 1, teamDbUrl: push, teamViewUrl: view });
    const saved = JSON.parse(readFileSync(join(folders.data, 'settings.json'), 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({ teamSyncEnabled: true, shareText: true, otlpEndpoint: otlp });
    expect(JSON.stringify(saved)).not.toMatch(/S3cret/);

    const run = (...a: string[]) => spawnSync(TSX, [MONITOR, ...a, ...args], { env, encoding: 'utf8', timeout: 60_000 });
    const r = run('status');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Team sync\s+on {2}\(postgres:\/\/pusher:\*\*\*@127\.0\.0\.1:1\/agents\?sslmode=disable\)/);
    expect(r.stdout).toMatch(/Team view\s+postgres:\/\/reader:\*\*\*@/);
    expect(r.stdout).toMatch(/Shared text\s+on: prompts/);
    expect(r.stdout).toMatch(/OTLP export\s+on {2}\(http:\/\/127\.0\.0\.1:9\)/);
    expect(r.stdout).toContain(`Team secrets   ${secrets} (readable by you only, 0600)`);
    expect(r.stdout).not.toMatch(/S3cret/);

    // Flags are for serve; a bad value is refused with the usage text and stores nothing.
    const misuse = run('status', '--team-db', push);
    expect(misuse.status).toBe(2);
    expect(misuse.stderr).toContain('--team-db: for serve');
    const bad = run('serve', '--share-text', 'maybe');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--share-text takes on or off');
    const wrong = run('serve', '--team-db', 'mysql://x@y/z');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('must be a postgres:// or postgresql:// URL');
    expect(JSON.parse(readFileSync(secrets, 'utf8'))).toEqual({ version: 1, teamDbUrl: push, teamViewUrl: view });
  }, 150_000);
});
