/**
 * The agent-settings page (src/renderer/index.html): the consent banner, the master switch and the
 * embedded dashboard. Bundled by scripts/build-shell.ts into the one script of the built page,
 * whose hash is the only script the page's CSP allows.
 *
 * The only way out of this page is `window.agentMonitor` (src/preload/preload.ts), one named
 * method per IPC channel of src/shared/ipc.ts, typed by src/shared/ambient.d.ts.
 * test/electron-main/wiring.test.ts reads the bundled code's calls on it.
 */
import type { AgentMonitorApi, DashboardInfo, TeamSettingResult, TeamSettings, ToggleResult } from '../shared/ipc.js';

const api: AgentMonitorApi = window.agentMonitor;
const AGENTS_ROUTE = '#/settings/agents';

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el as T;
}

interface Row {
  box: HTMLInputElement;
  hint: HTMLElement;
  row: HTMLElement;
}

type HintState = 'off' | 'pending' | 'on' | 'failed' | 'blocked';

const claude: Row = { box: $<HTMLInputElement>('claudeDashConsent'), hint: $('claudeDashHint'), row: $('claudeRow') };
const codex: Row = { box: $<HTMLInputElement>('codexDashConsent'), hint: $('codexDashHint'), row: $('codexRow') };
const master: Row = { box: $<HTMLInputElement>('agentDashboardEnabled'), hint: $('agentDashboardHint'), row: $('masterRow') };
const notifications: Row = { box: $<HTMLInputElement>('notificationsEnabled'), hint: $('notificationsHint'), row: $('notificationsRow') };
const frame = $<HTMLIFrameElement>('dashboardFrame');
const placeholder = $('dashboardPlaceholder');
const pill = $('sidecarPill');
const dialog = $<HTMLDialogElement>('confirmMasterOff');
const confirmCancel = $<HTMLButtonElement>('confirmMasterOffCancel');
const confirmOff = $<HTMLButtonElement>('confirmMasterOffConfirm');

const ENABLE_IN_SETTINGS = 'Disabled: enable Agent Dashboard in Settings.';
let masterOn = false;
let busy = false; // one toggle call at a time; the rows are re-read after each

/** Text with `backticks` turned into <code>, built from text nodes only (no innerHTML). */
function richText(parent: HTMLElement, text: string): void {
  text.split('`').forEach((part, i) => {
    if (part === '') return;
    if (i % 2 === 1) {
      const code = document.createElement('code');
      code.textContent = part;
      parent.appendChild(code);
    } else {
      parent.appendChild(document.createTextNode(part));
    }
  });
}

/** `setup` is an optional second line. */
function setHint(row: Row, state: HintState, status: string, setup?: string): void {
  row.hint.dataset.state = state;
  row.hint.replaceChildren();
  const s = document.createElement('span');
  s.className = 'status';
  richText(s, status);
  row.hint.appendChild(s);
  if (setup) {
    const extra = document.createElement('span');
    extra.className = 'setup';
    richText(extra, setup);
    row.hint.appendChild(extra);
  }
}

function setEnabled(row: Row, enabled: boolean): void {
  row.box.disabled = !enabled;
  row.row.classList.toggle('is-disabled', !enabled);
}

function errorText(err: unknown): string {
  return err && typeof err === 'object' && 'message' in err ? String(err.message) : String(err);
}

async function renderCodex(claudeOn: boolean): Promise<void> {
  if (!masterOn) {
    codex.box.checked = false;
    setEnabled(codex, false);
    setHint(codex, 'blocked', ENABLE_IN_SETTINGS);
    return;
  }
  const optIn = await api.getCodexHooksOptIn();
  codex.box.checked = optIn === true;
  if (!claudeOn) {
    setEnabled(codex, false);
    setHint(
      codex,
      'blocked',
      'Needs Claude Code session tracking: turn that on first; Codex hooks use the same monitor pipeline.',
      'Meanwhile the rollout-file watcher continues: Codex sessions still appear from its rollout files, with a short delay.',
    );
    return;
  }
  setEnabled(codex, true);
  if (!optIn) {
    setHint(codex, 'off', 'Off: no Codex hooks installed; the rollout-file watcher continues, so sessions still appear with a short delay.');
    return;
  }
  let status: Awaited<ReturnType<AgentMonitorApi['getCodexStatus']>>;
  try {
    status = await api.getCodexStatus();
  } catch (err) {
    setHint(codex, 'on', 'On.', `Could not read the Codex setup: ${errorText(err)}`);
    return;
  }
  if (!status) {
    setHint(codex, 'blocked', ENABLE_IN_SETTINGS);
    return;
  }
  const where = status.installed ? `On: our hooks are in \`${status.hooksJsonPath}\`.` : 'On.';
  setHint(codex, 'on', where, status.setupHint);
}

async function renderClaude(): Promise<boolean> {
  if (!masterOn) {
    claude.box.checked = false;
    setEnabled(claude, false);
    setHint(claude, 'blocked', ENABLE_IN_SETTINGS);
    return false;
  }
  const on = (await api.getHooksEnabled()) === true;
  claude.box.checked = on;
  setEnabled(claude, true);
  setHint(claude, on ? 'on' : 'off', on ? 'On: new Claude Code sessions appear in the dashboard as they start.' : 'Off: no Claude Code hooks installed; nothing is tracked.');
  return on;
}

function renderMaster(): void {
  master.box.checked = masterOn;
  setEnabled(master, true);
  setHint(master, masterOn ? 'on' : 'off', masterOn ? 'On: the local monitor runs and the tracking choices above apply.' : 'Off: the monitor is stopped and no hooks are installed.');
}

/** Re-reads everything from main (after every call: main is the source of truth). */
async function renderNotifications(): Promise<void> {
  const on = masterOn && (await api.getNotificationsEnabled()) === true;
  notifications.box.checked = on;
  setEnabled(notifications, masterOn);
  setHint(
    notifications,
    on ? 'on' : 'off',
    !masterOn
      ? ENABLE_IN_SETTINGS
      : on
        ? 'On: a desktop notification when an agent waits for your approval or answer.'
        : 'Off: sessions that need you are only marked in the dashboard.',
  );
}

async function refresh(): Promise<void> {
  try {
    masterOn = (await api.getAgentDashboardEnabled()) === true;
    renderMaster();
    await renderNotifications();
    await renderTeam();
    const claudeOn = await renderClaude();
    await renderCodex(claudeOn);
  } catch (err) {
    setHint(claude, 'failed', `Failed: ${errorText(err)}`);
  }
  await refreshDashboard();
}

// ---- beyond this machine: team sync, shared text, OTLP --------------------------------------

const teamSync: Row = { box: $<HTMLInputElement>('teamSyncEnabled'), hint: $('teamSyncHint'), row: $('teamSyncRow') };
const shareText: Row = { box: $<HTMLInputElement>('shareTextEnabled'), hint: $('shareTextHint'), row: $('shareTextRow') };
const otlpHint = $('otlpHint');
const teamNote = $('teamSecretsNote');
const urlFields = [
  { input: $<HTMLInputElement>('teamDbUrl'), save: $<HTMLButtonElement>('teamDbUrlSave'), clear: $<HTMLButtonElement>('teamDbUrlClear'), call: (v: string) => api.setTeamDbUrl(v) },
  { input: $<HTMLInputElement>('teamViewUrl'), save: $<HTMLButtonElement>('teamViewUrlSave'), clear: $<HTMLButtonElement>('teamViewUrlClear'), call: (v: string) => api.setTeamViewUrl(v) },
  { input: $<HTMLInputElement>('otlpEndpoint'), save: $<HTMLButtonElement>('otlpEndpointSave'), clear: $<HTMLButtonElement>('otlpEndpointClear'), call: (v: string) => api.setOtlpEndpoint(v) },
] as const;

function showTeam(t: TeamSettings): void {
  teamSync.box.checked = t.teamSyncEnabled;
  shareText.box.checked = t.shareText;
  for (const row of [teamSync, shareText]) setEnabled(row, masterOn);
  for (const f of urlFields) {
    f.input.disabled = f.save.disabled = f.clear.disabled = !masterOn;
    f.input.value = ''; // a secret typed here is sent once and never kept in the page
  }
  const [db, view, otlp] = urlFields;
  db.input.placeholder = t.teamDbUrl ?? 'postgres://user:password@host:5432/db?sslmode=require';
  view.input.placeholder = t.teamViewUrl ?? 'optional: postgres://reader:password@host:5432/db';
  otlp.input.placeholder = t.otlpEndpoint ?? 'http://127.0.0.1:4318';
  if (!masterOn) {
    setHint(teamSync, 'blocked', ENABLE_IN_SETTINGS);
    setHint(shareText, 'blocked', ENABLE_IN_SETTINGS);
  } else {
    setHint(
      teamSync,
      t.teamSyncEnabled ? 'on' : 'off',
      t.teamSyncEnabled ? `On: pushing to \`${t.teamDbUrl ?? '?'}\`.` : t.teamDbUrl ? 'Off: nothing is pushed.' : 'Off: enter a connection string below, save, then turn it on.',
    );
    setHint(shareText, t.shareText ? 'on' : 'off', t.shareText ? 'On: text is included.' : 'Off: no prompt, output or command text leaves the machine.');
  }
  otlpHint.dataset.state = t.otlpEndpoint ? 'on' : 'off';
  otlpHint.replaceChildren();
  const s = document.createElement('span');
  s.className = 'status';
  richText(s, t.otlpEndpoint ? `On: exporting to \`${t.otlpEndpoint}\`.` : 'Off: nothing is exported. Enter an endpoint and save to turn it on.');
  otlpHint.appendChild(s);
  teamNote.dataset.state = t.error || !t.secretStorage.available ? 'failed' : 'ok';
  teamNote.textContent = t.error ?? (t.secretStorage.available ? `Connection strings are kept in ${t.secretStorage.where}; they are shown here only with the password masked.` : t.secretStorage.error ?? 'Connection strings cannot be stored here.');
}

async function renderTeam(): Promise<void> {
  try {
    showTeam(await api.getTeamSettings());
  } catch (err) {
    teamNote.dataset.state = 'failed';
    teamNote.textContent = `Failed: ${errorText(err)}`;
  }
}

/** One team call at a time, like the toggles; the result's settings are what main now holds. */
async function teamCall(call: () => Promise<TeamSettingResult>, where: HTMLElement): Promise<void> {
  if (busy) return;
  busy = true;
  let result: TeamSettingResult | null = null;
  try {
    result = await call();
  } catch (err) {
    teamNote.dataset.state = 'failed';
    teamNote.textContent = `Failed: ${errorText(err)}`;
  }
  busy = false;
  if (!result) return renderTeam();
  showTeam(result.settings);
  if (!result.ok) {
    teamNote.dataset.state = 'failed';
    teamNote.textContent = `Failed: ${result.error}`;
  }
  where.focus();
  void refreshDashboard(); // a restart of the monitor shows in the pill
}

teamSync.box.addEventListener('change', () => void teamCall(() => api.setTeamSyncEnabled(teamSync.box.checked), teamSync.box));
shareText.box.addEventListener('change', () => void teamCall(() => api.setShareText(shareText.box.checked), shareText.box));
for (const f of urlFields) {
  const save = (): void => {
    if (f.input.value.trim() === '') {
      // An empty Save would silently forget what is stored: clearing is its own button.
      teamNote.dataset.state = 'failed';
      teamNote.textContent = 'Type a value first (Clear removes the stored one).';
      f.input.focus();
      return;
    }
    void teamCall(() => f.call(f.input.value), f.input);
  };
  f.save.addEventListener('click', save);
  f.clear.addEventListener('click', () => void teamCall(() => f.call(''), f.input));
  f.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') save();
  });
}

// ---- toggles -------------------------------------------------------------------------------

async function toggle(row: Row, call: (on: boolean) => Promise<ToggleResult>): Promise<void> {
  if (busy) {
    row.box.checked = !row.box.checked; // another call is in flight: undo this click
    return;
  }
  const wanted = row.box.checked; // the click already flipped it
  busy = true;
  // Not `disabled`: that would drop keyboard focus for the length of the call. The busy guard
  // above undoes any click meanwhile, and aria-disabled tells assistive technology the same.
  row.box.setAttribute('aria-busy', 'true');
  row.box.setAttribute('aria-disabled', 'true');
  setHint(row, 'pending', wanted ? 'Enabling…' : 'Disabling…');
  let result: ToggleResult;
  try {
    result = await call(wanted);
  } catch (err) {
    result = { ok: false, enabled: !wanted, error: errorText(err) };
  }
  busy = false;
  row.box.removeAttribute('aria-busy');
  row.box.removeAttribute('aria-disabled');
  if (result.ok) {
    await refresh(); // success re-reads state; the Claude row also drives the Codex row
    row.box.focus();
    return;
  }
  const why = result.error || 'unknown error';
  if (row === master) {
    // The master flag is persisted before its side effects, so show what main now holds.
    await refresh();
    setHint(master, 'failed', `Failed: ${why}`);
    master.box.focus();
    return;
  }
  // A failed call reverts the checkbox and says why; the intent main kept is retried at boot.
  row.box.checked = !wanted;
  row.box.disabled = false;
  setHint(row, 'failed', `Failed: ${why}`);
  row.box.focus();
  if (row === claude) await renderCodex(!wanted);
}

claude.box.addEventListener('change', () => void toggle(claude, (on) => api.setHooksEnabled(on)));
codex.box.addEventListener('change', () => void toggle(codex, (on) => api.setCodexHooksOptIn(on)));
notifications.box.addEventListener('change', () => void toggle(notifications, (on) => api.setNotificationsEnabled(on)));

master.box.addEventListener('change', () => {
  if (master.box.checked) {
    void toggle(master, (on) => api.setAgentDashboardEnabled(on));
    return;
  }
  // Turning the master switch off stops the monitor and removes hooks: confirm in-page first.
  master.box.checked = true;
  dialog.showModal();
  confirmCancel.focus();
});
confirmCancel.addEventListener('click', () => {
  dialog.close();
  master.box.focus();
});
confirmOff.addEventListener('click', () => {
  dialog.close();
  master.box.checked = false;
  void toggle(master, (on) => api.setAgentDashboardEnabled(on));
});
dialog.addEventListener('cancel', () => master.box.focus());

// ---- embedded dashboard -----------------------------------------------------------------

const STATE_TEXT: Record<DashboardInfo['state'], string> = {
  idle: 'Monitor idle',
  starting: 'Monitor starting…',
  running: 'Monitor running',
  backoff: 'Monitor restarting…',
  unavailable: 'Monitor unavailable',
  stopping: 'Monitor stopping…',
  stopped: 'Monitor stopped',
  disabled: 'Monitor off',
};
let pollTimer: ReturnType<typeof setTimeout> | undefined;

async function refreshDashboard(): Promise<void> {
  clearTimeout(pollTimer);
  let info: DashboardInfo;
  try {
    info = await api.getDashboardUrl();
  } catch (err) {
    info = { url: null, state: 'unavailable', error: errorText(err) };
  }
  pill.dataset.state = info.state;
  pill.textContent = STATE_TEXT[info.state] ?? info.state;
  if (info.url) {
    const origin = new URL(info.url).origin;
    if (frame.dataset.origin !== origin) {
      frame.dataset.origin = origin;
      frame.src = info.url;
    }
    frame.hidden = false;
    placeholder.hidden = true;
    return;
  }
  frame.hidden = true;
  frame.removeAttribute('src');
  delete frame.dataset.origin;
  placeholder.hidden = false;
  if (info.state === 'disabled') {
    placeholder.textContent = 'Agent Dashboard is off. Turn it on in Settings below.';
  } else if (info.state === 'unavailable') {
    placeholder.textContent = `Monitor unavailable${info.error ? `: ${info.error}` : ''}. Turn Agent Dashboard off and on in Settings to retry.`;
  } else {
    placeholder.textContent = STATE_TEXT[info.state] ?? 'Starting the monitor…';
    pollTimer = setTimeout(() => void refreshDashboard(), 1000); // starting / restarting: poll until it settles
  }
}

// Main denies new windows; sidecar-origin ones are shown here instead.
api.onOpenInDashboard((url) => {
  if (frame.dataset.origin && new URL(url).origin === frame.dataset.origin) frame.src = url;
});

// ---- routing --------------------------------------------------------------------------------

function route(): void {
  if (location.hash !== AGENTS_ROUTE) {
    location.replace(AGENTS_ROUTE);
    return;
  }
  void refresh();
}
window.addEventListener('hashchange', route);
route();
