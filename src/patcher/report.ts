import path from 'node:path';
import type { CheckRow, PatchFailure } from './types.js';

/** Every patcher message starts with this, so build logs can be grepped for it. */
export const PREFIX = '[monitor-build]';

/** Upstream paths print relative to the working directory when inside it, else absolute. */
export function displayPath(absolute: string, cwd: string = process.cwd()): string {
  const rel = path.relative(cwd, absolute);
  if (rel === '' ) return '.';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return absolute.split(path.sep).join('/');
  return rel.split(path.sep).join('/');
}

/** One aligned "  name      value" detail line; continuation lines of the value are indented to match. */
export function field(name: string, value: string): string {
  const pad = `  ${name.padEnd(10)}`;
  return pad + value.split('\n').join(`\n${' '.repeat(pad.length)}`);
}

export function formatFailures(failures: readonly PatchFailure[]): string {
  const patches = new Set(failures.map((f) => f.patchId)).size;
  const count = failures.length;
  const footer =
    count === patches
      ? `${patches} patch${patches === 1 ? '' : 'es'} failed. Nothing was written.`
      : `${patches} patch${patches === 1 ? '' : 'es'} failed (${count} failures). Nothing was written.`;
  return [...failures.map((f) => f.message), footer].join('\n\n');
}

export function formatCheckTable(rows: readonly CheckRow[]): string {
  const header: CheckRow = { id: 'PATCH', file: 'FILE', status: 'STATUS' as CheckRow['status'], detail: 'DETAIL' };
  const all = [header, ...rows];
  const w = {
    id: Math.max(...all.map((r) => r.id.length)),
    file: Math.max(...all.map((r) => r.file.length)),
    status: Math.max(...all.map((r) => r.status.length)),
  };
  const lines = all.map((r) =>
    `${r.id.padEnd(w.id)}  ${r.file.padEnd(w.file)}  ${r.status.padEnd(w.status)}  ${r.detail}`.replace(/\s+$/, ''),
  );
  const ok = rows.filter((r) => r.status === 'applies').length;
  lines.push('', `${ok} of ${rows.length} patch${rows.length === 1 ? '' : 'es'} apply.`);
  return lines.join('\n');
}
