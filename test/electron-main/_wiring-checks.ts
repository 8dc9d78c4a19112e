/**
 * Static wiring checks over the shell's sources, as pure functions of their text so the tests can
 * prove each check fails on a drifted copy (test/electron-main/wiring.test.ts).
 */
import ts from 'typescript';

export interface Sources {
  channels: Record<string, string>; // AgentMonitorChannel
  handlers: string; // src/electron-main/ipc-handlers.ts
  preload: string; // src/preload/preload.ts
  /** The renderer code that ships: src/renderer/banner.ts as bundled by scripts/build-shell.ts. */
  renderer: string;
}

function parseJs(source: string): ts.SourceFile {
  return ts.createSourceFile('renderer.js', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
}

const isWindowAgentMonitor = (n: ts.Node): boolean =>
  (ts.isPropertyAccessExpression(n) && n.name.text === 'agentMonitor' && ts.isIdentifier(n.expression) && n.expression.text === 'window') ||
  (ts.isElementAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'window' && ts.isStringLiteral(n.argumentExpression) && n.argumentExpression.text === 'agentMonitor');

export interface BridgeUse {
  /** Names the bundle binds `window.agentMonitor` to (`api`). */
  bindings: string[];
  /** Every bridge member the code touches (`api.getHooksEnabled`, called or passed on). */
  members: Set<string>;
  problems: string[];
}

/**
 * How the bundled renderer uses the bridge, read from its syntax tree: `window.agentMonitor` is
 * bound to a name once and used only through that name's members; nothing else reaches Electron.
 */
export function rendererBridgeUse(bundle: string): BridgeUse {
  const sf = parseJs(bundle);
  const problems: string[] = [];
  const bindings: string[] = [];
  const accesses = findAll(sf, isWindowAgentMonitor);
  for (const access of accesses) {
    const decl = access.parent;
    if (ts.isVariableDeclaration(decl) && decl.initializer === access && ts.isIdentifier(decl.name)) bindings.push(decl.name.text);
    else problems.push(`renderer: window.agentMonitor used other than as "const api = window.agentMonitor" (${access.parent.getText(sf).slice(0, 60)})`);
  }
  if (bindings.length !== 1) problems.push(`renderer: window.agentMonitor must be bound exactly once, found ${bindings.length}`);
  const members = new Set<string>();
  for (const id of findAll(sf, (n) => ts.isIdentifier(n) && bindings.includes(n.text)) as ts.Identifier[]) {
    const p = id.parent;
    if (ts.isVariableDeclaration(p) && p.name === id) continue;
    if (ts.isPropertyAccessExpression(p) && p.expression === id) members.add(p.name.text);
    else problems.push(`renderer: the bridge object escapes (${p.getText(sf).slice(0, 60)})`);
  }
  if (findAll(sf, (n) => ts.isIdentifier(n) && n.text === 'ipcRenderer').length > 0) problems.push('renderer: must only use window.agentMonitor (mentions ipcRenderer)');
  if (findAll(sf, (n) => ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'require').length > 0) problems.push('renderer: must only use window.agentMonitor (calls require)');
  return { bindings, members, problems };
}

/** Ids the bundled renderer looks up: string literals passed as the first argument of a call. */
export function rendererLookedUpIds(bundle: string): Set<string> {
  const sf = parseJs(bundle);
  const calls = findAll(sf, (n) => ts.isCallExpression(n)) as ts.CallExpression[];
  return new Set(calls.map((c) => c.arguments[0]).filter((a): a is ts.StringLiteral => !!a && ts.isStringLiteral(a)).map((a) => a.text));
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every channel: a main registration, a preload method, a renderer call; nothing unknown; no hard-coded names. */
export function checkChannelWiring({ channels, handlers, preload, renderer }: Sources): string[] {
  const problems: string[] = [];
  const keys = Object.keys(channels);
  const bridge = rendererBridgeUse(renderer);
  for (const key of keys) {
    if (!new RegExp(`register\\(\\s*'${escape(key)}'\\s*,\\s*AgentMonitorChannel\\.${escape(key)}\\s*\\)`).test(handlers)) {
      problems.push(`main: no register('${key}', AgentMonitorChannel.${key}) in ipc-handlers.ts`);
    }
    if (!new RegExp(`\\b${escape(key)}\\s*:\\s*\\([^)]*\\)\\s*=>\\s*ipcRenderer\\.invoke\\(\\s*AgentMonitorChannel\\.${escape(key)}\\b`).test(preload)) {
      problems.push(`preload: no method ${key} invoking AgentMonitorChannel.${key}`);
    }
    if (!bridge.members.has(key)) {
      problems.push(`renderer: the bundle never uses api.${key}`);
    }
  }
  for (const [file, text, pattern] of [
    ['ipc-handlers.ts', handlers, /AgentMonitorChannel\.(\w+)/g],
    ['preload.ts', preload, /AgentMonitorChannel\.(\w+)/g],
  ] as const) {
    for (const m of text.matchAll(pattern)) {
      const name = m[1]!;
      if (!keys.includes(name)) problems.push(`${file}: unknown channel/method ${name}`);
    }
  }
  for (const name of bridge.members) {
    if (!keys.includes(name) && name !== 'onOpenInDashboard') problems.push(`renderer bundle: unknown channel/method ${name}`);
  }
  problems.push(...bridge.problems);
  // Channel names are spelled once, in src/shared/ipc.ts.
  for (const [file, text] of [['ipc-handlers.ts', handlers], ['preload.ts', preload], ['renderer bundle', renderer]] as const) {
    const literal = /['"`]desktop:[\w-]+['"`]/.exec(text);
    if (literal) problems.push(`${file}: hard-coded channel name ${literal[0]}; use src/shared/ipc.ts`);
  }
  // The bridge: exactly one exposeInMainWorld('agentMonitor', …), and never ipcRenderer itself.
  const exposes = [...preload.matchAll(/exposeInMainWorld\(\s*(['"])(\w+)\1\s*,\s*([^)]*)\)/g)];
  if (exposes.length !== 1 || exposes[0]![2] !== 'agentMonitor') problems.push('preload: expected exactly one exposeInMainWorld("agentMonitor", …)');
  if (exposes.some((m) => /ipcRenderer/.test(m[3] ?? ''))) problems.push('preload: exposes ipcRenderer');
  if (/:\s*ipcRenderer\s*[,}]|\bipcRenderer\s*,\s*$|invoke\s*:\s*\(?\s*\w*\s*,?\s*\.\.\./m.test(preload)) problems.push('preload: exposes ipcRenderer or a generic invoke');
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

/** The consent banner's toggles: ids, labels, hints, order in index.html; looked up by the bundle. */
export function checkRendererIds(html: string, bundle: string): string[] {
  const problems: string[] = [];
  const lookedUp = rendererLookedUpIds(bundle);
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
    if (!lookedUp.has(id)) problems.push(`renderer: the bundle never looks up #${id}`);
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
