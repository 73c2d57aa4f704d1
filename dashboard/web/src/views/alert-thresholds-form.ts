// The alert thresholds form of the Admin page: one row per rule with its global thresholds, then per-group overrides
// (add one, remove one). Save sends the configuration file's format to PUT /api/v1/alerts/settings; a refused value
// is shown next to its input. Without the admin role the same form is read-only and has no Save button.
import { AlertSettingsView, type AlertRuleEntry } from '../../../../shared/api.js';
import { emptyState, errorState, panel } from '../components/page.js';
import { ApiError } from '../lib/api-client.js';
import { h, replaceChildren } from '../lib/dom.js';
import { dateTime } from '../lib/format.js';
import type { ViewContext } from './view.js';

const PATH = '/api/v1/alerts/settings';

type Value = number | boolean;

/** One editable rule entry: `fields` holds the inputs by field name; `blankInherits` for group overrides. */
interface EntryForm {
  rule: string;
  row: HTMLElement;
  fields: Map<string, { input: HTMLInputElement | HTMLSelectElement; error: HTMLElement; kind: 'number' | 'boolean' }>;
}

/** `warningDays` → `warning days`. */
function label(field: string): string {
  return field.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

function fieldsOf(entry: AlertRuleEntry): Array<[string, Value]> {
  return Object.entries(entry).filter((e): e is [string, Value] => e[0] !== 'rule' && (typeof e[1] === 'number' || typeof e[1] === 'boolean'));
}

export function alertThresholdsTab(ctx: ViewContext): HTMLElement {
  const canEdit = ctx.session.role === 'admin';
  const box = h('div', null, 'Loading…');
  ctx.api.get(PATH, AlertSettingsView).then(
    (view) => replaceChildren(box, form(ctx, view, canEdit)),
    (err: unknown) =>
      replaceChildren(
        box,
        err instanceof ApiError && err.status === 404
          ? emptyState('Set in the alert configuration file', 'This collector reads thresholds from its alert configuration file at start-up.', undefined, true)
          : errorState(err),
      ),
  );
  return box;
}

function form(ctx: ViewContext, view: AlertSettingsView, canEdit: boolean): HTMLElement {
  const defaults = new Map(view.defaults.map((d) => [d.rule, d]));
  const globalValues = new Map(view.rules.map((r) => [r.rule, r]));
  const msg = h('div', { class: 'form-msg', attrs: { 'data-testid': 'thresholds-msg' } });
  const sourceText = (v: AlertSettingsView) =>
    v.source === 'admin'
      ? `Saved by ${v.updatedBy ?? 'an admin'}${v.updatedAt ? ` on ${dateTime(v.updatedAt)}` : ''}; these win over the collector's configuration file.`
      : v.source === 'file'
        ? 'From the collector’s alert configuration file.'
        : 'The catalogue defaults: nothing has been configured.';
  const source = h('p', { class: 'muted', attrs: { 'data-testid': 'thresholds-source' } }, sourceText(view));

  const input = (kind: 'number' | 'boolean', value: Value | undefined, placeholder: string, inherit: boolean) => {
    if (kind === 'boolean') {
      const s = h(
        'select',
        { attrs: { disabled: !canEdit } },
        inherit ? h('option', { attrs: { value: '' } }, `inherit (${placeholder})`) : null,
        h('option', { attrs: { value: 'true' } }, 'on'),
        h('option', { attrs: { value: 'false' } }, 'off'),
      );
      s.value = value === undefined ? '' : String(value);
      return s;
    }
    const i = h('input', { attrs: { type: 'number', step: 'any', placeholder, disabled: !canEdit, size: 6 } });
    i.value = value === undefined ? '' : String(value);
    return i;
  };

  // Global: one row per rule, every field with its current value; the default is in the title and placeholder.
  const globalForms: EntryForm[] = view.rules.map((r) => {
    const fields: EntryForm['fields'] = new Map();
    const cells = fieldsOf(defaults.get(r.rule) ?? r).map(([name, def]) => {
      const kind = typeof def === 'boolean' ? 'boolean' : 'number';
      const el = input(kind, (r as Record<string, unknown>)[name] as Value | undefined, String(def), false);
      el.dataset.field = `${r.rule}.${name}`;
      const error = h('span', { class: 'form-msg error' });
      fields.set(name, { input: el, error, kind });
      return h('div', { class: 'field', title: `default ${String(def)}` }, h('label', null, label(name)), el, error);
    });
    return { rule: r.rule, fields, row: h('div', { class: 'form-row', data: { rule: r.rule } }, h('div', { class: 'field strong', style: { minWidth: '190px' } }, r.rule), cells) };
  });

  // Per group: entries whose blank fields inherit the global value.
  const groupList = h('div', { class: 'stack' });
  const groupForms: Array<{ group: string } & EntryForm> = [];
  const addGroupEntry = (group: string, entry: AlertRuleEntry) => {
    const fields: EntryForm['fields'] = new Map();
    const global = globalValues.get(entry.rule) ?? defaults.get(entry.rule);
    const cells = fieldsOf(defaults.get(entry.rule) ?? entry).map(([name, def]) => {
      const kind = typeof def === 'boolean' ? 'boolean' : 'number';
      const inherited = String((global as Record<string, unknown> | undefined)?.[name] ?? def);
      const el = input(kind, (entry as Record<string, unknown>)[name] as Value | undefined, inherited, true);
      el.dataset.field = `${group}.${entry.rule}.${name}`;
      const error = h('span', { class: 'form-msg error' });
      fields.set(name, { input: el, error, kind });
      return h('div', { class: 'field' }, h('label', null, label(name)), el, error);
    });
    const f = { group, rule: entry.rule, fields, row: h('div') };
    const remove = canEdit
      ? h('button', {
          class: 'btn small danger',
          on: {
            click: () => {
              groupForms.splice(groupForms.indexOf(f), 1);
              f.row.remove();
            },
          },
        }, 'Remove')
      : null;
    f.row = h('div', { class: 'form-row', data: { group, rule: entry.rule } }, h('div', { class: 'field strong', style: { minWidth: '190px' } }, h('span', null, group), h('span', { class: 'muted' }, entry.rule)), cells, remove ? h('div', { class: 'field' }, remove) : null);
    groupForms.push(f);
    groupList.appendChild(f.row);
  };
  for (const [group, entries] of Object.entries(view.groups)) for (const e of entries) addGroupEntry(group, e);

  const adder = (() => {
    if (!canEdit) return null;
    const group = h('input', { attrs: { placeholder: 'group name', autocomplete: 'off', 'aria-label': 'group name' } });
    const rule = h('select', { attrs: { 'aria-label': 'rule' } }, view.rules.map((r) => h('option', { attrs: { value: r.rule } }, r.rule)));
    const addMsg = h('span', { class: 'form-msg error' });
    const add = h('button', { class: 'btn' }, 'Add group override');
    add.addEventListener('click', () => {
      const g = group.value.trim();
      if (!g) return void (addMsg.textContent = 'Name the group (as the agents report it).');
      if (groupForms.some((f) => f.group === g && f.rule === rule.value)) return void (addMsg.textContent = `${g} already overrides ${rule.value}.`);
      addMsg.textContent = '';
      addGroupEntry(g, { rule: rule.value });
      group.value = '';
    });
    return h('div', { class: 'form-row' }, h('div', { class: 'field' }, h('label', null, 'Group'), group), h('div', { class: 'field' }, h('label', null, 'Rule'), rule), h('div', { class: 'field' }, add), addMsg);
  })();

  const collect = (f: EntryForm, onlyChanged: Record<string, unknown> | null): Record<string, unknown> => {
    const out: Record<string, unknown> = { rule: f.rule };
    for (const [name, { input: el, kind }] of f.fields) {
      if (el.value === '') continue;
      // A value the API cannot read (such as "abc") goes as it is, so the refusal names the field.
      const v = kind === 'boolean' ? el.value === 'true' : Number.isNaN(Number(el.value)) ? el.value : Number(el.value);
      if (onlyChanged && onlyChanged[name] === v) continue;
      out[name] = v;
    }
    return out;
  };

  const save = canEdit ? h('button', { class: 'btn primary', attrs: { 'data-testid': 'save-thresholds' } }, 'Save thresholds') : null;
  save?.addEventListener('click', () => {
    const errorAt = new Map<string, HTMLElement>();
    for (const f of globalForms) for (const [name, x] of f.fields) errorAt.set(`rules.${f.rule}.${name}`, x.error);
    // Only what differs from the catalogue goes into `rules`, so a later release's new defaults still apply.
    const rules = globalForms.map((f) => collect(f, defaults.get(f.rule) ?? null)).filter((e) => Object.keys(e).length > 1);
    const groups: Record<string, Array<Record<string, unknown>>> = {};
    for (const f of groupForms) {
      const list = (groups[f.group] ??= []);
      for (const [name, x] of f.fields) errorAt.set(`groups.${f.group}[${list.length}].${name}`, x.error);
      errorAt.set(`groups.${f.group}[${list.length}]`, [...f.fields.values()][0]?.error ?? msg);
      list.push(collect(f, null));
    }
    for (const e of errorAt.values()) e.textContent = '';
    save.disabled = true;
    ctx.api.request('PUT', PATH, AlertSettingsView, { rules, groups }).then(
      (saved) => {
        save.disabled = false;
        source.textContent = sourceText(saved);
        msg.className = 'form-msg ok';
        msg.textContent = 'Saved. Every rule has been re-run with these thresholds.';
      },
      (err: unknown) => {
        save.disabled = false;
        for (const i of err instanceof ApiError ? err.issues : []) {
          const at = errorAt.get(i.path);
          if (at) at.textContent = i.message;
        }
        msg.className = 'form-msg error';
        msg.textContent = err instanceof Error ? err.message : String(err);
      },
    );
  });

  return h(
    'div',
    { class: 'stack' },
    panel('Alert thresholds', [source, globalForms.map((f) => f.row)], { hint: canEdit ? 'blank or unchanged keeps the catalogue default' : 'read-only: admins change these' }),
    panel('Per-group overrides', [
      h('p', { class: 'muted' }, 'A group’s entry wins over the global one of the same rule; a blank field keeps the global value.'),
      groupList,
      adder,
    ]),
    save ? h('div', { class: 'form-row' }, save) : null,
    msg,
  );
}
