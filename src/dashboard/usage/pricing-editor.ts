/**
 * The price table, editable: one row per model (rates per million tokens, with date and source),
 * a user edit saved at once and marked as such, "reset" back to the shipped rate, and a row to
 * price a model the table does not know. Every change is persisted by the sidecar.
 */
import type { PriceTable, UsageApi } from './api.js';
import { el, PRICE_NOTE } from './format.js';

const FIELDS = [
  ['input', 'Input'],
  ['output', 'Output'],
  ['cacheWrite', 'Cache write'],
  ['cacheRead', 'Cache read'],
] as const;

function numberInput(value: number | null, label: string): HTMLInputElement {
  const input = el('input', 'usage-rate');
  input.type = 'number';
  input.min = '0';
  input.step = 'any';
  input.value = value === null ? '' : String(value);
  input.setAttribute('aria-label', label);
  return input;
}

export function mountPricingEditor(container: HTMLElement, api: UsageApi, onChange: () => void): { refresh(): Promise<void> } {
  const status = el('p', 'usage-status');
  status.setAttribute('role', 'status');

  const render = (table: PriceTable): void => {
    const t = el('table', 'usage-pricing');
    const cap = el('caption', undefined, `Rates in USD per million tokens — ${table.label}. ${PRICE_NOTE}.`);
    const head = el('tr');
    for (const h of ['Model', ...FIELDS.map((f) => f[1]), 'Context window', 'Rate as of · source', '']) head.append(el('th', undefined, h));
    t.append(cap, el('thead'), el('tbody'));
    t.tHead!.append(head);
    const names = Object.keys(table.models).sort();
    const addRow = (model: string | null): void => {
      const e = model ? table.models[model]! : null;
      const tr = el('tr');
      tr.dataset.model = model ?? '';
      const nameCell = el('td');
      let nameInput: HTMLInputElement | null = null;
      if (model) nameCell.textContent = model;
      else {
        nameInput = el('input', 'usage-model-name');
        nameInput.placeholder = 'model id, e.g. gpt-5.2';
        nameInput.setAttribute('aria-label', 'new model id');
        nameCell.append(nameInput);
      }
      tr.append(nameCell);
      const inputs = FIELDS.map(([k, label]) => {
        const input = numberInput(e ? e[k] : null, `${model ?? 'new model'} ${label} rate`);
        const td = el('td');
        td.append(input);
        tr.append(td);
        return [k, input] as const;
      });
      const cw = numberInput(e?.contextWindow ?? null, `${model ?? 'new model'} context window`);
      cw.step = '1';
      const cwTd = el('td');
      cwTd.append(cw);
      tr.append(cwTd);
      tr.append(el('td', 'usage-source', e ? `${e.asOf ?? '?'} · ${e.origin === 'user' ? 'edited by you' : e.source ?? ''}` : ''));
      const actions = el('td');
      const save = el('button', 'usage-save', model ? 'Save' : 'Add');
      save.type = 'button';
      save.addEventListener('click', () => {
        const name = model ?? nameInput!.value.trim();
        const rates = Object.fromEntries(inputs.map(([k, input]) => [k, Number(input.value)])) as Record<(typeof FIELDS)[number][0], number>;
        const bad = inputs.find(([, input]) => input.value.trim() === '' || !Number.isFinite(Number(input.value)) || Number(input.value) < 0);
        if (!name || bad) {
          status.textContent = !name ? 'Give the model id.' : 'Every rate must be a number ≥ 0.';
          return;
        }
        const contextWindow = cw.value.trim() === '' ? null : Number(cw.value);
        api.setPrice(name, { ...rates, contextWindow }).then(
          (next) => {
            status.textContent = `Saved ${name}.`;
            render(next);
            onChange();
          },
          (err: Error) => (status.textContent = `Not saved: ${err.message}`),
        );
      });
      actions.append(save);
      if (e?.origin === 'user') {
        const reset = el('button', 'usage-reset', 'Reset');
        reset.type = 'button';
        reset.addEventListener('click', () => {
          api.resetPrice(model!).then(
            (next) => {
              status.textContent = `${model} is back to the shipped rate.`;
              render(next);
              onChange();
            },
            (err: Error) => (status.textContent = `Not reset: ${err.message}`),
          );
        });
        actions.append(reset);
      }
      tr.append(actions);
      t.tBodies[0]!.append(tr);
    };
    for (const m of names) addRow(m);
    addRow(null);
    container.replaceChildren(t, status);
  };

  const refresh = async (): Promise<void> => render(await api.pricing());
  return { refresh };
}
