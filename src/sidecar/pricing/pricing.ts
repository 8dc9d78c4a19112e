/**
 * The price table: shipped defaults (default-pricing.json: rates per million tokens, each with the
 * date and source of the rate) merged with the user's edits (table pricing_overrides, in the
 * private SQLite DB). A model the table does not know has NO price — never a guessed one. Every
 * figure computed here is an API list-price estimate, not what a subscriber pays.
 */
import type Database from 'better-sqlite3';
import defaults from './default-pricing.json' with { type: 'json' };

export const PRICE_LABEL = 'API list-price estimate';

export interface Rates {
  /** USD per million tokens. */
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
  /** Model input window in tokens (Claude context gauge); null when unknown. */
  contextWindow: number | null;
}

export interface PriceEntry extends Rates {
  asOf: string | null;
  source: string | null;
  /** 'default': shipped; 'user': edited in the dashboard (overrides the default of the same model). */
  origin: 'default' | 'user';
}

export interface PriceTable {
  label: string;
  note: string;
  models: Record<string, PriceEntry>;
}

export interface TokenCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

type DefaultsFile = { label: string; note: string; models: Record<string, Rates & { asOf: string; source: string }> };

export function defaultTable(): PriceTable {
  const file = defaults as DefaultsFile;
  const models: Record<string, PriceEntry> = {};
  for (const [name, r] of Object.entries(file.models)) {
    models[name] = { input: r.input, output: r.output, cacheWrite: r.cacheWrite, cacheRead: r.cacheRead, contextWindow: r.contextWindow ?? null, asOf: r.asOf, source: r.source, origin: 'default' };
  }
  return { label: file.label, note: file.note, models };
}

/** Defaults with the user's overrides applied. */
export function loadPricing(db: Database.Database): PriceTable {
  const table = defaultTable();
  const rows = db.prepare('SELECT model, rates, updated_at FROM pricing_overrides').all() as Array<{ model: string; rates: string; updated_at: string }>;
  for (const row of rows) {
    let r: Rates;
    try {
      r = validateRates(JSON.parse(row.rates));
    } catch {
      continue; // a row we cannot read is left as it is (never overwritten), and not used
    }
    table.models[row.model] = { ...r, asOf: row.updated_at.slice(0, 10), source: 'edited by the user', origin: 'user' };
  }
  return table;
}

/** Throws a clear error unless `v` is {input, output, cacheWrite, cacheRead[, contextWindow]} of finite numbers ≥ 0. */
export function validateRates(v: unknown): Rates {
  if (typeof v !== 'object' || v === null) throw new Error('rates must be an object {input, output, cacheWrite, cacheRead, contextWindow?}');
  const o = v as Record<string, unknown>;
  const rate = (k: string): number => {
    const n = o[k];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new Error(`rate "${k}" must be a number ≥ 0 (USD per million tokens)`);
    return n;
  };
  const cw = o.contextWindow;
  if (cw !== undefined && cw !== null && (typeof cw !== 'number' || !Number.isInteger(cw) || cw <= 0)) throw new Error('contextWindow must be a positive integer or null');
  return { input: rate('input'), output: rate('output'), cacheWrite: rate('cacheWrite'), cacheRead: rate('cacheRead'), contextWindow: cw ?? null };
}

export function setPriceOverride(db: Database.Database, model: string, rates: unknown): Rates {
  if (typeof model !== 'string' || !model.trim() || model.length > 200) throw new Error('model must be a non-empty name');
  const r = validateRates(rates);
  db.prepare(`INSERT INTO pricing_overrides (model, rates, updated_at) VALUES (?, ?, ?)
              ON CONFLICT(model) DO UPDATE SET rates = excluded.rates, updated_at = excluded.updated_at`)
    .run(model.trim(), JSON.stringify(r), new Date().toISOString());
  return r;
}

/** Back to the shipped rate (or to no price, for a model only the user had priced). */
export function deletePriceOverride(db: Database.Database, model: string): boolean {
  return db.prepare('DELETE FROM pricing_overrides WHERE model = ?').run(model).changes > 0;
}

/**
 * The entry for a model id as the agents write it: exact name, else without a date suffix
 * (`claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`) or a provider prefix (`openai/gpt-5`).
 * null: no price.
 */
export function ratesFor(table: PriceTable, model: string | null): PriceEntry | null {
  if (!model) return null;
  const candidates = [model];
  const noPrefix = model.replace(/^(anthropic|openai)[/.]/, '');
  candidates.push(noPrefix, noPrefix.replace(/-\d{8}$/, ''), noPrefix.replace(/-\d{4}-\d{2}-\d{2}$/, ''));
  for (const c of candidates) {
    const e = table.models[c];
    if (e) return e;
  }
  return null;
}

/** USD for these tokens at these rates; null when there is no rate (shown as "no price"). */
export function costOf(tokens: TokenCounts, rates: Rates | null): number | null {
  if (!rates) return null;
  return (tokens.input * rates.input + tokens.output * rates.output + tokens.cacheRead * rates.cacheRead + tokens.cacheWrite * rates.cacheWrite) / 1e6;
}
