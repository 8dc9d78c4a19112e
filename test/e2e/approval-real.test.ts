// The real interactive Claude Code and Codex CLIs (pinned in test/real-clients), in a
// pseudo-terminal, against fake model servers that ask for a write (`touch notes.txt`). Neither
// non-interactive mode ever asks (`claude -p` denies, `codex exec` forces approval "never"), so
// only the TUIs show an approval prompt. Our hooks are installed by the real installers and
// delivered by the materialized handlers to a real sidecar. Checked:
//  - the session "needs you" with the pending command, seen on the live stream within 1 s of the
//    sidecar storing the PermissionRequest hook;
//  - the agent really waits for the user (the handlers answer nothing): the file does not exist
//    until we approve in the terminal;
//  - approving clears it (the call ran: PostToolUse), and the file exists.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { defaultOutDir } from '../../scripts/build-agent-monitor.js';
import { startPatched, type RunningServer } from '../../scripts/lib/servers.js';
import { startAttentionFeed, type AttentionSession } from '../../src/core/attention-feed.js';
import { createHookService } from '../../src/core/hook-service.js';
import { createMemorySettings } from '../../src/core/settings.js';
import { makeTempLayout, type TempLayout } from '../real-clients/capture-helpers.js';
import { ensureRealClients } from '../real-clients/ensure.js';
import { startFakeAnthropic } from '../real-clients/fake-anthropic.js';
import { startFakeOpenAI } from '../real-clients/fake-openai.js';
import { runInteractive, type InteractiveRun } from '../real-clients/pty.js';
import { cleanEnv, writeCodexConfig } from '../real-clients/run.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // best effort
    }
  }
});

beforeAll(() => {
  ensureRealClients();
}, 600_000);

/** Generous: a loaded 2-core machine starts a TUI slowly. */
const WAIT_MS = 150_000;

interface Frame {
  at: number;
  session: AttentionSession;
}

async function world(prefix: string, families: { codex: boolean }): Promise<{ layout: TempLayout; sidecar: RunningServer; frames: Frame[] }> {
  const layout = makeTempLayout(prefix);
  cleanups.push(() => layout.cleanup());
  const dataDir = join(layout.root, 'data');
  mkdirSync(dataDir, { recursive: true });
  const sidecar = await startPatched({ dir: dataDir });
  cleanups.push(async () => void (await sidecar.stop()));
  const service = createHookService({
    settings: createMemorySettings({ agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: families.codex }),
    paths: { dataDir, claudeConfigDir: join(layout.home, '.claude'), codexHome: layout.codexHome },
    handlerSources: { claude: join(defaultOutDir, 'scripts', 'hook-handler.js'), codex: join(defaultOutDir, 'scripts', 'codex-hook-handler.js') },
  });
  const outcome = await service.syncHooksOnBoot();
  expect(outcome.claude.action).toBe('installed');
  if (families.codex) expect(outcome.codex.action).toBe('installed');

  // What a dashboard sees: session rows on the live stream, stamped on arrival.
  const frames: Frame[] = [];
  let ready = false;
  const feed = startAttentionFeed({ baseUrl: sidecar.url, onSession: (session) => frames.push({ at: Date.now(), session }), onReady: () => (ready = true) });
  cleanups.push(() => feed.close());
  await waitFor('the live stream', () => ready, 20_000);
  return { layout, sidecar, frames };
}

interface StoredEvent {
  id: number;
  hook_type: string;
  created_at: string;
}

async function checkApproval(
  agent: string,
  { sidecar, frames, layout }: { sidecar: RunningServer; frames: Frame[]; layout: TempLayout },
  run: InteractiveRun,
  /** The approval dialog as the TUI draws it, and the keys that approve it. */
  approval: { prompt: RegExp; keys: string },
): Promise<void> {
  const onScreen = (): string => run.screen().slice(-3000);
  const pending = await waitFor(`${agent}: a session that needs you`, () => frames.find((f) => f.session.needs_you), WAIT_MS, 50).catch((err: Error) => {
    throw new Error(`${err.message}\n--- ${agent} screen ---\n${onScreen()}`);
  });
  const needs = JSON.parse(pending.session.needs_you!) as { kind: string; tool: string; detail: string; count: number };
  expect(needs).toMatchObject({ kind: 'approval', tool: 'Bash', detail: 'touch notes.txt', count: 1 });

  // Within 1 s of the hook reaching the sidecar (same machine, same clock).
  const { events } = await sidecar.get<{ events: StoredEvent[] }>(`/api/sessions/${encodeURIComponent(pending.session.id)}/timeline`);
  const request = events.find((e) => e.hook_type === 'PermissionRequest');
  expect(request, `${agent}: a PermissionRequest event`).toBeDefined();
  const latency = pending.at - Date.parse(request!.created_at);
  expect(latency).toBeLessThan(1000);

  // The agent is waiting on the user: nothing answered for them, the write has not happened.
  expect(existsSync(join(layout.cwd, 'notes.txt'))).toBe(false);
  // The hook fires as the TUI opens its dialog: answer once the dialog is drawn.
  await waitFor(`${agent}: the approval dialog on screen`, () => approval.prompt.test(run.screen().slice(-4000)), WAIT_MS, 50).catch((err: Error) => {
    throw new Error(`${err.message}\n--- ${agent} screen ---\n${onScreen()}`);
  });
  run.write(approval.keys);
  // On a loaded machine the TUI can draw the dialog before it reads keys; a keypress that arrives
  // then is lost. While the session still needs us, answer again every few seconds (the same
  // answer to the same dialog, so a repeat cannot approve anything else).
  let answeredAt = Date.now();
  const cleared = await waitFor(
    `${agent}: needs-you cleared`,
    () => {
      const done = frames.slice(frames.indexOf(pending) + 1).find((f) => f.session.id === pending.session.id && !f.session.needs_you);
      if (!done && Date.now() - answeredAt > 3000) {
        run.write(approval.keys);
        answeredAt = Date.now();
      }
      return done;
    },
    WAIT_MS,
    50,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n--- ${agent} screen ---\n${onScreen()}`);
  });
  expect(cleared.session.needs_you).toBeNull();
  const after = await sidecar.get<{ events: StoredEvent[]; session: { needs_you: string | null } }>(`/api/sessions/${encodeURIComponent(pending.session.id)}/timeline`);
  const types = after.events.map((e) => e.hook_type);
  expect(existsSync(join(layout.cwd, 'notes.txt')), `${agent}: notes.txt after approval; events ${types.join(', ')}\n${onScreen()}`).toBe(true);
  expect(types.indexOf('PostToolUse')).toBeGreaterThan(types.indexOf('PermissionRequest'));
  expect(after.session.needs_you).toBeNull();
}

describe('approval prompts of the real interactive CLIs', () => {
  test('Claude Code: PermissionRequest makes the session need you; approving clears it', async () => {
    const { claudeBin } = ensureRealClients();
    const w = await world('am-approve-claude-', { codex: false });
    const fake = await startFakeAnthropic({
      script: [{ type: 'tools', calls: [{ command: 'touch notes.txt', id: 'toolu_touch' }] }, { type: 'message', text: 'Created notes.txt.' }],
    });
    cleanups.push(() => fake.close());
    const apiKey = 'sk-test-0123456789abcdefghij';
    // First-run screens answered in advance: onboarding done, this folder trusted, this key approved.
    writeFileSync(
      join(w.layout.home, '.claude.json'),
      JSON.stringify({
        hasCompletedOnboarding: true,
        theme: 'dark',
        customApiKeyResponses: { approved: [apiKey.slice(-20)], rejected: [] },
        projects: { [w.layout.cwd]: { hasTrustDialogAccepted: true, allowedTools: [] } },
      }),
    );
    const env = cleanEnv({
      HOME: w.layout.home,
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_API_KEY: apiKey,
      IS_SANDBOX: '1',
      CLAUDE_CONFIG_DIR: undefined,
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    });
    const run = runInteractive(claudeBin, ['Create the file notes.txt'], { cwd: w.layout.cwd, env });
    cleanups.push(() => run.kill());
    // The dialog's first choice ("Yes") is selected; Enter confirms it.
    await checkApproval('claude', w, run, { prompt: /Do\s*you\s*want\s*to\s*proceed\?[\s\S]*1\.\s*Yes/, keys: '\r' });
  }, 400_000);

  test('Codex: PermissionRequest (tied to session and turn) makes the session need you; approving clears it', async () => {
    const { codexBin } = ensureRealClients();
    const w = await world('am-approve-codex-', { codex: true });
    // A write that asks to run outside the sandbox: with approval_policy on-request, Codex asks.
    const fake = await startFakeOpenAI({
      script: [
        { type: 'tools', calls: [{ callId: 'call_touch', arguments: JSON.stringify({ cmd: 'touch notes.txt', sandbox_permissions: 'require_escalated', justification: 'Create the notes file' }) }] },
        { type: 'message', text: 'Created notes.txt.' },
      ],
    });
    cleanups.push(() => fake.close());
    writeCodexConfig({
      codexHome: w.layout.codexHome,
      baseUrl: fake.url,
      extraToml: `approval_policy = "on-request"\nsandbox_mode = "workspace-write"\n\n[projects.${JSON.stringify(w.layout.cwd)}]\ntrust_level = "trusted"`,
    });
    const env = cleanEnv({ HOME: w.layout.home, CODEX_HOME: w.layout.codexHome, RUST_LOG: undefined });
    // Our freshly installed hooks are not trusted yet (a user trusts them with /hooks); the test bypasses that review.
    const run = runInteractive(codexBin, ['--dangerously-bypass-hook-trust', 'Create the file notes.txt'], { cwd: w.layout.cwd, env });
    cleanups.push(() => run.kill());
    await checkApproval('codex', w, run, { prompt: /Would\s*you\s*like\s*to\s*run\s*the\s*following\s*command\?[\s\S]*Yes,\s*proceed\s*\(y\)/, keys: 'y' });
  }, 400_000);
});
