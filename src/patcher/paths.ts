import path from 'node:path';

export function anchorTextPath(patchesDir: string, id: string): string {
  return path.join(patchesDir, 'anchors', `${id}.js`);
}

export function specPath(patchesDir: string, id: string): string {
  return path.join(patchesDir, `${id}.ts`);
}
