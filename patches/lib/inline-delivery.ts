/**
 * Inlining src/handlers/host-delivery.cjs into a handler script: the build appends it to the
 * Codex handler's installed copy, patches/handler-delivery.ts to the upstream Claude handler.
 * The result defines one function, `hostDeliveryModule()`, returning what the module exports;
 * a function declaration, so it is hoisted and the handler may call it from anywhere.
 * Plain text concatenation: identical inputs give byte-identical output.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const deliveryModulePath = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'handlers', 'host-delivery.cjs');

export function inlineDelivery(): string {
  const text = readFileSync(deliveryModulePath, 'utf8').replace(/\r\n/g, '\n');
  const body = text.trimEnd().split('\n').map((l) => (l ? `  ${l}` : l)).join('\n');
  return [
    '',
    '// src/handlers/host-delivery.cjs, inlined by the build (patches/lib/inline-delivery.ts).',
    'function hostDeliveryModule() {',
    '  var module = { exports: {} };',
    body,
    '  return module.exports;',
    '}',
    '',
  ].join('\n');
}

/** A handler script with the delivery module appended. */
export function withDelivery(handlerSource: string): string {
  return `${handlerSource.replace(/\n*$/, '\n')}${inlineDelivery()}`;
}
