/**
 * The shape both agents share for hook config — `{ hooks: { <Event>: [ { matcher?, hooks: [
 * { type: "command", command, timeout } ] } ] } }` — and the pure transforms that put our entries
 * in and take them out again. claude-hooks.ts and codex-hooks.ts only supply a HookFamily.
 *
 * Our entries are recognised by the handler's file name right after a path separator and right
 * before the closing quote (`/hook-handler.js"`), never by position, so `codex-hook-handler.js`
 * and `hook-handler.js` never match each other and a user's reordering is harmless. A family may
 * have several transports (Codex: the Node handler or codex-hook.sh; Claude: a command or an
 * `http` entry posting to the sidecar): every form is recognised as ours, so switching transport
 * rewrites our entry in place, like a moved handler.
 */
import { ConfigFileError, type JsonObject } from './json-config.js';

export interface HookEventSpec {
  event: string;
  /** Omitted when the event has no matcher (the group then has no `matcher` key). */
  matcher?: string;
}

export interface HookFamily {
  /** For messages: 'Claude Code settings' / 'Codex hooks'. */
  label: string;
  /** Base name of the handler script, e.g. 'hook-handler.js'. */
  handlerFileName: string;
  /** Base names of the family's other handler scripts (another transport): ours as well. */
  altHandlerFileNames?: readonly string[];
  /** Recognises the family's `type: "http"` entries by their URL. */
  isOurUrl?: (url: string) => boolean;
  events: readonly HookEventSpec[];
  /** Seconds. */
  timeout: number;
}

export interface HookEntryLocation {
  event: string;
  groupIndex: number;
  handlerIndex: number;
  matcher: string | undefined;
  /** The command, or the URL of an `http` entry. */
  command: string;
  type: 'command' | 'http';
}

/**
 * `node "<handlerPath>" <Event>`, or `/bin/sh "<handlerPath>" <Event>` for a `.sh` handler. The
 * quotes keep a path with spaces in one argument.
 */
export function hookCommand({ handlerPath, event }: { handlerPath: string; event: string }): string {
  const sh = handlerPath.endsWith('.sh');
  // Inside double quotes a shell still expands $, ` and \ (the sh handler is POSIX-only, so its
  // path has no backslashes).
  const bad = sh ? /["$`\\]/ : /"/;
  if (bad.test(handlerPath)) {
    throw new Error(`The hook handler path ${handlerPath} contains ${sh ? 'a double quote, $, ` or \\' : 'a double quote'}, which cannot be put in a hook command. Choose a data folder without it in its path.`);
  }
  return `${sh ? '/bin/sh' : 'node'} "${handlerPath}" ${event}`;
}

export function isOurCommand(command: unknown, handlerFileName: string): boolean {
  if (typeof command !== 'string') return false;
  return command.includes(`/${handlerFileName}"`) || command.includes(`\\${handlerFileName}"`);
}

function isOurEntry(entry: unknown, family: HookFamily): boolean {
  if (!isObject(entry)) return false;
  if (entry.type === 'http') return typeof entry.url === 'string' && family.isOurUrl?.(entry.url) === true;
  return [family.handlerFileName, ...(family.altHandlerFileNames ?? [])].some((name) => isOurCommand(entry.command, name));
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shapeError(filePath: string, what: string): ConfigFileError {
  return new ConfigFileError({
    code: 'invalid-shape',
    path: filePath,
    message: `${filePath}: ${what}. Fix it by hand (or remove that key); nothing was changed.`,
  });
}

/** Where our entries are, in file order. Tolerates any foreign junk; reads only. */
export function findOurEntries(doc: JsonObject, family: HookFamily): HookEntryLocation[] {
  const out: HookEntryLocation[] = [];
  const hooks = doc.hooks;
  if (!isObject(hooks)) return out;
  for (const [event, groups] of Object.entries(hooks)) {
    if (!Array.isArray(groups)) continue;
    groups.forEach((group, groupIndex) => {
      if (!isObject(group) || !Array.isArray(group.hooks)) return;
      group.hooks.forEach((entry, handlerIndex) => {
        if (isOurEntry(entry, family)) {
          out.push({
            event,
            groupIndex,
            handlerIndex,
            matcher: typeof group.matcher === 'string' ? group.matcher : undefined,
            command: String((entry as JsonObject).type === 'http' ? (entry as JsonObject).url : (entry as JsonObject).command),
            type: (entry as JsonObject).type === 'http' ? 'http' : 'command',
          });
        }
      });
    });
  }
  return out;
}

/** What one of our entries should be, per event. */
export type EntryFor = (event: string) => JsonObject;

export function commandEntryFor(family: HookFamily, handlerPath: string): EntryFor {
  return (event) => ({ type: 'command', command: hookCommand({ handlerPath, event }), timeout: family.timeout });
}

function desiredGroup(spec: HookEventSpec, entryFor: EntryFor): JsonObject {
  const group: JsonObject = {};
  if (spec.matcher !== undefined) group.matcher = spec.matcher;
  group.hooks = [entryFor(spec.event)];
  return group;
}

function matcherFits(group: JsonObject, spec: HookEventSpec): boolean {
  return spec.matcher === undefined ? !('matcher' in group) : group.matcher === spec.matcher;
}

/**
 * Pure install: for every event, keep the first of our entries where it is and rewrite it to the
 * wanted command/timeout (a moved handler is repaired in place), drop any duplicates of ours,
 * append a group when there is none; remove our entries from events we no longer install.
 * Foreign groups, entries and keys are left exactly as they are.
 */
export function applyHookEntries({ doc, family, handlerPath, entryFor: given, filePath }: { doc: JsonObject; family: HookFamily; handlerPath?: string; entryFor?: EntryFor; filePath: string }): JsonObject {
  const entryFor = given ?? (handlerPath !== undefined ? commandEntryFor(family, handlerPath) : null);
  if (!entryFor) throw new Error('applyHookEntries needs a handlerPath or an entryFor');
  if (doc.hooks !== undefined && !isObject(doc.hooks)) {
    throw shapeError(filePath, `"hooks" must be an object, but it is ${Array.isArray(doc.hooks) ? 'an array' : typeof doc.hooks}`);
  }
  const wanted = new Set(family.events.map((e) => e.event));
  // Events we do not (or no longer) install: take ours out, like uninstall does.
  let hooks: JsonObject = isObject(doc.hooks) ? doc.hooks : {};
  for (const event of Object.keys(hooks)) {
    if (!wanted.has(event)) removeFromEvent(hooks, event, family);
  }

  for (const spec of family.events) {
    const existing = hooks[spec.event];
    if (existing !== undefined && !Array.isArray(existing)) {
      throw shapeError(filePath, `"hooks.${spec.event}" must be an array of matcher groups, but it is ${isObject(existing) ? 'an object' : typeof existing}`);
    }
    const groups: unknown[] = existing ?? [];
    let kept = false;
    for (let gi = 0; gi < groups.length; gi++) {
      const group = groups[gi];
      if (!isObject(group) || !Array.isArray(group.hooks)) continue;
      const entries = group.hooks;
      const onlyOurs = entries.every((e) => isOurEntry(e, family));
      for (let hi = 0; hi < entries.length; hi++) {
        if (!isOurEntry(entries[hi], family)) continue;
        if (!kept && (matcherFits(group, spec) || onlyOurs)) {
          entries[hi] = repairEntry(entries[hi] as JsonObject, entryFor(spec.event));
          if (!matcherFits(group, spec)) setMatcher(groups, gi, spec);
          kept = true;
        } else {
          entries.splice(hi, 1);
          hi--;
        }
      }
      if (entries.length === 0) {
        groups.splice(gi, 1);
        gi--;
      }
    }
    if (!kept) groups.push(desiredGroup(spec, entryFor));
    if (existing === undefined) hooks = { ...hooks, [spec.event]: groups };
  }
  doc.hooks = hooks;
  return doc;
}

/** Keys an entry of ours may have; one that the wanted form lacks (another transport's) is dropped. */
const OWNED_KEYS = ['type', 'command', 'timeout', 'url', 'headers', 'allowedEnvVars'];

/** Keep the entry object's key order and any extra keys the user added; fix what we own. */
function repairEntry(entry: JsonObject, want: JsonObject): JsonObject {
  const out: JsonObject = { ...entry };
  for (const k of OWNED_KEYS) if (!(k in want)) delete out[k];
  for (const [k, v] of Object.entries(want)) out[k] = v;
  return out;
}

/** Rewrite a group's matcher in place, keeping the group's key order. */
function setMatcher(groups: unknown[], gi: number, spec: HookEventSpec): void {
  const group = groups[gi] as JsonObject;
  if (spec.matcher === undefined) {
    const { matcher: _drop, ...rest } = group;
    groups[gi] = rest;
  } else if ('matcher' in group) {
    group.matcher = spec.matcher;
  } else {
    groups[gi] = { matcher: spec.matcher, ...group };
  }
}

/** Returns true when it removed something. Drops the group / event key that it emptied. */
function removeFromEvent(hooks: JsonObject, event: string, family: HookFamily): boolean {
  const groups = hooks[event];
  if (!Array.isArray(groups)) return false;
  let removed = false;
  for (let gi = 0; gi < groups.length; gi++) {
    const group: unknown = groups[gi];
    if (!isObject(group) || !Array.isArray(group.hooks)) continue;
    const before = group.hooks.length;
    const rest = group.hooks.filter((e) => !isOurEntry(e, family));
    if (rest.length === before) continue;
    removed = true;
    if (rest.length === 0) {
      groups.splice(gi, 1);
      gi--;
    } else {
      group.hooks = rest;
    }
  }
  if (removed && groups.length === 0) delete hooks[event];
  return removed;
}

/**
 * Pure uninstall: removes only our entries, and the groups, event arrays and `hooks` object that
 * became empty because of it. Containers that were already empty are left alone.
 */
export function removeHookEntries({ doc, family }: { doc: JsonObject; family: HookFamily }): JsonObject {
  const hooks = doc.hooks;
  if (!isObject(hooks)) return doc;
  let removed = false;
  for (const event of Object.keys(hooks)) {
    if (removeFromEvent(hooks, event, family)) removed = true;
  }
  if (removed && Object.keys(hooks).length === 0) delete doc.hooks;
  return doc;
}
