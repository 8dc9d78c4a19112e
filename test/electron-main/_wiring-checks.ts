/**
 * Static wiring checks over the shell's sources, as pure functions of their text so the tests can
 * prove each check fails on a drifted copy (test/electron-main/wiring.test.ts).
 */
import ts from 'typescript';

export interface Sources {
  channels: Record<string, string>; // AgentMonitorChannel
  handlers: string; // src/electron-main/ipc-handlers.ts
  preload: string; // src/preload/preload.ts
  renderer: string; // src/renderer/index.html
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every channel: a main registration, a preload method, a renderer call; nothing unknown; no hard-coded names. */
export function checkChannelWiring({ channels, handlers, preload, renderer }: Sources): string[] {
  const problems: string[] = [];
  const keys = Object.keys(channels);
  for (const key of keys) {
    if (!new RegExp(`register\\(\\s*'${escape(key)}'\\s*,\\s*AgentMonitorChannel\\.${escape(key)}\\s*\\)`).test(handlers)) {
      problems.push(`main: no register('${key}', AgentMonitorChannel.${key}) in ipc-handlers.ts`);
    }
    if (!new RegExp(`\\b${escape(key)}\\s*:\\s*\\([^)]*\\)\\s*=>\\s*ipcRenderer\\.invoke\\(\\s*AgentMonitorChannel\\.${escape(key)}\\b`).test(preload)) {
      problems.push(`preload: no method ${key} invoking AgentMonitorChannel.${key}`);
    }
    if (!new RegExp(`\\bapi\\.${escape(key)}\\(`).test(renderer)) {
      problems.push(`renderer: index.html never calls api.${key}()`);
    }
  }
  for (const [file, text, pattern] of [
    ['ipc-handlers.ts', handlers, /AgentMonitorChannel\.(\w+)/g],
    ['preload.ts', preload, /AgentMonitorChannel\.(\w+)/g],
    ['index.html', renderer, /\bapi\.(\w+)\(/g],
  ] as const) {
    for (const m of text.matchAll(pattern)) {
      const name = m[1]!;
      if (!keys.includes(name) && !(file === 'index.html' && name === 'onOpenInDashboard')) problems.push(`${file}: unknown channel/method ${name}`);
    }
  }
  // Channel names are spelled once, in src/shared/ipc.ts.
  for (const [file, text] of [['ipc-handlers.ts', handlers], ['preload.ts', preload], ['index.html', renderer]] as const) {
    const literal = /['"`]desktop:[\w-]+['"`]/.exec(text);
    if (literal) problems.push(`${file}: hard-coded channel name ${literal[0]}; use src/shared/ipc.ts`);
  }
  // The bridge: exactly one exposeInMainWorld('agentMonitor', …), and never ipcRenderer itself.
  const exposes = [...preload.matchAll(/exposeInMainWorld\(\s*(['"])(\w+)\1\s*,\s*([^)]*)\)/g)];
  if (exposes.length !== 1 || exposes[0]![2] !== 'agentMonitor') problems.push('preload: expected exactly one exposeInMainWorld("agentMonitor", …)');
  if (exposes.some((m) => /ipcRenderer/.test(m[3] ?? ''))) problems.push('preload: exposes ipcRenderer');
  if (/:\s*ipcRenderer\s*[,}]|\bipcRenderer\s*,\s*$|invoke\s*:\s*\(?\s*\w*\s*,?\s*\.\.\./m.test(preload)) problems.push('preload: exposes ipcRenderer or a generic invoke');
  if (/ipcRenderer|require\(/.test(renderer)) problems.push('renderer: must only use window.agentMonitor');
  if (!/const api = window\.agentMonitor;/.test(renderer)) problems.push('renderer: api is not window.agentMonitor');
  return problems;
}

interface Tag {
  id: string;
  index: number;
  attrs: string;
  name: string;
}

function tagsWithIds(html: string): Tag[] {
  return [...html.matchAll(/<(\w+)\b([^>]*\bid="([^"]+)"[^>]*)>/g)].map((m) => ({ name: m[1]!, attrs: m[2]!, id: m[3]!, index: m.index ?? 0 }));
}

/** The consent banner's toggles: ids, labels, hints, order. */
export function checkRendererIds(html: string): string[] {
  const problems: string[] = [];
  const tags = tagsWithIds(html);
  const byId = new Map(tags.map((t) => [t.id, t]));
  const rows = [
    ['claudeDashConsent', 'Claude Code session tracking'],
    ['codexDashConsent', 'Enable Codex CLI session tracking (experimental)'],
  ] as const;
  for (const [id, label] of rows) {
    const input = byId.get(id);
    if (!input) {
      problems.push(`renderer: #${id} is missing`);
      continue;
    }
    if (input.name !== 'input' || !/type="checkbox"/.test(input.attrs)) problems.push(`renderer: #${id} is not a checkbox`);
    if (!new RegExp(`<label for="${id}">${escape(label)}</label>`).test(html)) problems.push(`renderer: #${id} has no label "${label}"`);
    const hintId = /aria-describedby="([^"]+)"/.exec(input.attrs)?.[1];
    const hint = hintId ? byId.get(hintId) : undefined;
    if (!hint || !/aria-live="polite"/.test(hint.attrs)) problems.push(`renderer: #${id} has no aria-live="polite" hint`);
    if (!new RegExp(`getElementById\\('${id}'\\)|\\$\\('${id}'\\)`).test(html)) problems.push(`renderer: the script never looks up #${id}`);
  }
  const claude = byId.get('claudeDashConsent');
  const codex = byId.get('codexDashConsent');
  if (claude && codex) {
    if (codex.index < claude.index) problems.push('renderer: #codexDashConsent must come after #claudeDashConsent');
    // "Directly below": no other control between the two rows.
    const between = html.slice(claude.index + 1, codex.index);
    if (/<(input|select|textarea|button)\b/.test(between)) problems.push('renderer: another control sits between the Claude and Codex toggles');
  }
  return problems;
}

function parseTs(source: string): ts.SourceFile {
  return ts.createSourceFile('app.ts', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

function findAll(node: ts.Node, pred: (n: ts.Node) => boolean, out: ts.Node[] = []): ts.Node[] {
  if (pred(node)) out.push(node);
  node.forEachChild((c) => void findAll(c, pred, out));
  return out;
}

/** Boot reconcile (`.syncHooksOnBoot()`) is only ever called inside `if (…agentMonitorEnabled…) { … }`. */
export function checkBootReconcile(appSource: string): string[] {
  const sf = parseTs(appSource);
  const calls = findAll(sf, (n) => ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'syncHooksOnBoot');
  if (calls.length === 0) return ['app.ts: boot never calls service.syncHooksOnBoot()'];
  const problems: string[] = [];
  for (const call of calls) {
    let inside = false;
    for (let n: ts.Node = call; n.parent; n = n.parent) {
      const p = n.parent;
      if (ts.isIfStatement(p) && p.thenStatement === n && /\bsettings\.get\(\)\.agentMonitorEnabled\b/.test(p.expression.getText(sf)) && !/!/.test(p.expression.getText(sf))) {
        inside = true;
        break;
      }
    }
    if (!inside) {
      const { line } = sf.getLineAndCharacterOfPosition(call.getStart(sf));
      problems.push(`app.ts:${line + 1}: syncHooksOnBoot() is not inside the if (settings.get().agentMonitorEnabled) block`);
    }
  }
  return problems;
}

/** `new BrowserWindow({ webPreferences: secureWebPreferences({ preload: … }) })` in app.ts. */
export function checkWindowUsesSecurePreferences(appSource: string): string[] {
  const sf = parseTs(appSource);
  const windows = findAll(sf, (n) => ts.isNewExpression(n) && n.expression.getText(sf) === 'BrowserWindow') as ts.NewExpression[];
  if (windows.length === 0) return ['app.ts: no new BrowserWindow(…)'];
  const problems: string[] = [];
  for (const w of windows) {
    const opts = w.arguments?.[0];
    const prefs = opts && ts.isObjectLiteralExpression(opts)
      ? opts.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(sf) === 'webPreferences')
      : undefined;
    const init = prefs?.initializer;
    if (!init || !ts.isCallExpression(init) || init.expression.getText(sf) !== 'secureWebPreferences') {
      problems.push('app.ts: BrowserWindow webPreferences must be secureWebPreferences({ preload })');
    }
  }
  return problems;
}

/** The options secureWebPreferences() returns. */
export function checkSecurePreferences(prefs: Record<string, unknown>): string[] {
  const required: Record<string, unknown> = { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, nodeIntegrationInSubFrames: false, allowRunningInsecureContent: false, webviewTag: false };
  return Object.entries(required)
    .filter(([k, v]) => prefs[k] !== v)
    .map(([k, v]) => `webPreferences.${k} must be ${String(v)}, is ${String(prefs[k])}`)
    .concat(typeof prefs.preload === 'string' && prefs.preload.endsWith('preload.cjs') ? [] : ['webPreferences.preload must be dist/preload.cjs']);
}
