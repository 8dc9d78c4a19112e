/**
 * Token accounting, cost and pricing routes (docs/contracts.md "Usage API"). Read routes are
 * plain GETs; pricing edits must be JSON from the dashboard's own origin (a cross-site page cannot
 * send a JSON body without a preflight we never answer, and its Origin is refused).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Database from 'better-sqlite3';
import { deletePriceOverride, loadPricing, setPriceOverride } from '../pricing/pricing.js';
import { dailyUsage, sessionDetail, sessionsUsage, toolStats } from '../usage/queries.js';

const MAX_PRICING_BODY = 64 * 1024;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser cross-origin request
  try {
    const o = new URL(origin);
    return (o.hostname === '127.0.0.1' || o.hostname === 'localhost') && o.host === req.headers.host;
  } catch {
    return false;
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error(`body over ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function putPricing(db: Database.Database, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!sameOrigin(req)) return json(res, 403, { error: 'pricing edits are accepted from the dashboard origin only' });
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return json(res, 415, { error: 'send Content-Type: application/json' });
  let body: { model?: unknown; rates?: unknown };
  try {
    body = JSON.parse(await readBody(req, MAX_PRICING_BODY)) as typeof body;
  } catch (err) {
    return json(res, 400, { error: `body is not valid JSON: ${(err as Error).message}` });
  }
  try {
    const rates = setPriceOverride(db, body?.model as string, body?.rates);
    return json(res, 200, { ok: true, model: String(body.model).trim(), rates, pricing: loadPricing(db) });
  } catch (err) {
    return json(res, 400, { error: (err as Error).message });
  }
}

/** Answers /api/usage/*; returns false for any other path. */
export function usageRoute(db: Database.Database, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  if (!url.pathname.startsWith('/api/usage/')) return false;
  const p = url.pathname;
  try {
    if (req.method === 'GET' && p === '/api/usage/sessions') return json(res, 200, sessionsUsage(db)), true;
    if (req.method === 'GET' && p === '/api/usage/session') {
      const id = url.searchParams.get('id');
      if (!id) return json(res, 400, { error: 'missing ?id=<session id>' }), true;
      return json(res, 200, sessionDetail(db, id)), true;
    }
    if (req.method === 'GET' && p === '/api/usage/daily') {
      const days = Number(url.searchParams.get('days') ?? 30);
      return json(res, 200, dailyUsage(db, Number.isFinite(days) ? days : 30)), true;
    }
    if (req.method === 'GET' && p === '/api/usage/tools') return json(res, 200, { tools: toolStats(db, url.searchParams.get('session')) }), true;
    if (p === '/api/usage/pricing') {
      if (req.method === 'GET') return json(res, 200, loadPricing(db)), true;
      if (req.method === 'PUT') {
        putPricing(db, req, res).catch((err: Error) => json(res, 500, { error: err.message }));
        return true;
      }
      if (req.method === 'DELETE') {
        if (!sameOrigin(req)) return json(res, 403, { error: 'pricing edits are accepted from the dashboard origin only' }), true;
        const model = url.searchParams.get('model');
        if (!model) return json(res, 400, { error: 'missing ?model=<name>' }), true;
        return json(res, 200, { ok: true, removed: deletePriceOverride(db, model), pricing: loadPricing(db) }), true;
      }
    }
    json(res, 404, { error: `no route ${req.method} ${p}` });
  } catch (err) {
    json(res, 500, { error: (err as Error).message });
  }
  return true;
}
