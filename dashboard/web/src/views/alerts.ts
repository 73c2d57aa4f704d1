// Active Alerts: grouped under the KMS host the affected clients depend on, so one host outage reads as one
// incident. The detail pane carries the knowledge (meaning, cause, what to do) and, for operators only, the
// acknowledge form — for viewers the button does not exist at all.
import { z } from 'zod';
import { roleAtLeast, type AlertListItem } from '../../../../shared/api.js';
import { healthIcon, type Health } from '../components/health-icon.js';
import { emptyState, errorState, pageHead, tickTimes, timeAgo } from '../components/page.js';
import { h, replaceChildren, setText, type Child } from '../lib/dom.js';
import { num, plural } from '../lib/format.js';
import { timeText } from '../components/time-text.js';
import { AlertDetail, alertExtras } from '../lib/forecast-schemas.js';
import { href, type Route } from '../lib/router.js';
import { AlertsModel, groupIntoIncidents } from '../lib/alert-model.js';
import { Disposer, type View, type ViewContext, type ViewFactory } from './view.js';

export function severityHealth(a: { severity: string }): Health {
  return a.severity === 'critical' ? 'critical' : 'warning';
}

export const alertsView: ViewFactory = (ctx, route) => {
  const d = new Disposer();
  const model = new AlertsModel();
  let selected: string | null = route.path[1] ?? null;
  let severity = route.query.get('severity') ?? '';
  const list = h('div', { attrs: { 'data-testid': 'alert-list' } });
  const pane = h('aside', { class: 'detail-pane' });
  const sub = h('span', null, 'Loading…');
  const sevSel = h('select', { attrs: { 'data-testid': 'filter-severity' } }, h('option', { attrs: { value: '' } }, 'All severities'), h('option', { attrs: { value: 'critical' } }, 'Critical only'), h('option', { attrs: { value: 'warning' } }, 'Warning only'));
  sevSel.value = severity;
  sevSel.addEventListener('change', () => {
    severity = sevSel.value;
    render();
  });
  const hideAcked = h('input', { attrs: { type: 'checkbox' } });
  hideAcked.addEventListener('change', () => render());
  const body = h('div', { class: 'page-body' }, list);
  const el = h(
    'div',
    { class: 'view-col' },
    pageHead('Active Alerts', sub),
    h('div', { class: 'filters' }, sevSel, h('label', { class: 'check' }, hideAcked, ' Hide acknowledged')),
    h('div', { class: 'page-body flush' }, h('div', { class: 'split' }, h('div', { class: 'grid-area' }, body), pane)),
  );

  function render(): void {
    const all = model.active();
    const shown = all.filter((a) => (!severity || a.severity === severity) && (!hideAcked.checked || a.state !== 'acknowledged'));
    ctx.setAlertBadge(model.counts.active, model.counts.critical);
    setText(sub, all.length ? `${plural(all.length, 'active alert')} · ${num(all.filter((a) => a.severity === 'critical').length)} critical · ${num(all.filter((a) => a.state === 'acknowledged').length)} acknowledged` : 'Nothing needs attention');
    if (!shown.length) {
      replaceChildren(list, model.loaded ? emptyState(all.length ? 'No alert matches the filter' : 'No active alerts', all.length ? undefined : 'Every rule is quiet. New alerts appear here the moment they are raised.') : emptyState('Loading alerts…', undefined, undefined, true));
      return;
    }
    const now = ctx.clock.now();
    replaceChildren(
      list,
      groupIntoIncidents(shown).map((inc) => {
        // Alerts name overlapping machine sets; the largest is a floor on how many machines the incident touches.
        const machines = { size: Math.max(0, ...inc.alerts.map((a) => Math.max(alertExtras(a).machineCount, a.subject.kind === 'machine' ? 1 : 0))) };
        return h(
          'section',
          { class: 'incident', data: { incident: inc.key } },
          h(
            'div',
            { class: 'incident-h' },
            healthIcon(inc.worst, 18),
            inc.kmsHost ? h('a', { class: 'name', attrs: { href: href(['kms-hosts', inc.kmsHost]) } }, inc.title) : h('span', { class: 'name' }, inc.title),
            h('span', { class: 'meta' }, `${plural(inc.alerts.length, 'alert')}${machines.size ? ` · ${plural(machines.size, 'machine')} affected` : ''}`),
          ),
          inc.alerts.map((a) => alertRow(a, now)),
        );
      }),
    );
  }

  function alertRow(a: AlertListItem, now: number): HTMLElement {
    const extra = alertExtras(a);
    return h(
      'div',
      { class: `alert-row ${a.id === selected ? 'selected' : ''}`, data: { alertId: a.id }, attrs: { role: 'button', tabindex: 0 }, on: { click: () => ctx.navigate(href(['alerts', a.id])) } },
      healthIcon(severityHealth(a), 16),
      h('span', { class: `sev ${a.severity}` }, a.severity),
      h('span', { class: 'what' }, h('span', { class: 'rule' }, a.rule), h('span', { class: 'muted' }, ' · ', a.subject.name)),
      h('span', { class: 'what' }, a.title, extra.machineCount > 1 ? h('span', { class: 'muted' }, ` (${plural(extra.machineCount, 'machine')})`) : null),
      h('span', { class: 'muted' }, timeAgo(a.raisedAt, now)),
      a.state === 'acknowledged' ? h('span', { class: 'pill acked', attrs: { 'data-testid': 'acked-pill' } }, extra.acknowledgedBy ? `ack: ${extra.acknowledgedBy}` : 'acknowledged') : h('span', { class: 'pill critical' }, 'new'),
    );
  }

  let detail: AlertDetailPane | null = null;
  function openDetail(id: string | null): void {
    selected = id;
    for (const row of list.querySelectorAll<HTMLElement>('.alert-row')) row.classList.toggle('selected', row.dataset['alertId'] === id);
    detail?.destroy();
    detail = null;
    pane.classList.toggle('open', id !== null);
    if (id === null) return replaceChildren(pane);
    detail = new AlertDetailPane(ctx, id, () => ctx.navigate('#/alerts'));
    replaceChildren(pane, detail.el);
  }
  d.add(() => detail?.destroy());

  d.add(
    ctx.live.subscribe('alerts', {
      snapshot: (s) => {
        if (s.kind !== 'alerts') return;
        model.reset(s.alerts, s.counts);
        render();
        detail?.refresh();
      },
      delta: (b) => {
        for (const c of b.changes) {
          if (c.type === 'alert') {
            model.apply(c.alert);
            if (c.alert.id === selected) detail?.refresh();
          } else if (c.type === 'alert-counts') model.counts = c.counts;
        }
        render();
      },
    }),
  );
  render();
  openDetail(selected);

  return {
    el,
    crumbs: ['Monitoring', 'Active Alerts'],
    update(r: Route) {
      if (r.path[0] !== 'alerts') return false;
      const id = r.path[1] ?? null;
      if (id !== selected) openDetail(id);
      return true;
    },
    tick: (now) => tickTimes(el, now),
    destroy: () => d.dispose(),
  } satisfies View;
};

const AckResult = z.unknown();

class AlertDetailPane {
  readonly el = h('div', { attrs: { 'data-testid': 'alert-detail' } });
  readonly #ctx: ViewContext;
  readonly #id: string;
  readonly #onClose: () => void;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #alive = true;
  /** Keeps what an operator is typing when a live refresh redraws the pane. */
  #draft = '';

  constructor(ctx: ViewContext, id: string, onClose: () => void) {
    this.#ctx = ctx;
    this.#id = id;
    this.#onClose = onClose;
    replaceChildren(this.el, emptyState('Loading alert…', undefined, undefined, true));
    void this.#load();
  }

  refresh(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#load();
    }, 150);
  }

  destroy(): void {
    this.#alive = false;
    if (this.#timer) clearTimeout(this.#timer);
  }

  async #load(): Promise<void> {
    try {
      const a = await this.#ctx.api.get(`/api/v1/alerts/${encodeURIComponent(this.#id)}`, AlertDetail);
      if (this.#alive) this.#render(a);
    } catch (err) {
      if (this.#alive) replaceChildren(this.el, this.#header(null), errorState(err));
    }
  }

  #header(a: AlertDetail | null): HTMLElement {
    return h(
      'div',
      { class: 'detail-h' },
      a ? healthIcon(severityHealth(a), 22) : null,
      h('div', { style: { flex: '1' } }, h('h2', null, a ? a.title : 'Alert'), a ? h('div', { class: 'sub' }, `${a.rule} · ${a.subject.name}`) : null),
      h('button', { class: 'close', title: 'Close', attrs: { 'aria-label': 'Close detail' }, on: { click: this.#onClose } }, '×'),
    );
  }

  #render(a: AlertDetail): void {
    const now = this.#ctx.clock.now();
    const k = a.knowledge;
    const sections: Child[] = [
      this.#header(a),
      section(
        'Alert',
        h(
          'dl',
          { class: 'props' },
          h('dt', null, 'Severity'),
          h('dd', null, h('span', { class: `sev ${a.severity}` }, a.severity)),
          h('dt', null, 'State'),
          h('dd', { attrs: { 'data-testid': 'alert-state' } }, a.state === 'acknowledged' ? `acknowledged${a.acknowledgedBy ? ` by ${a.acknowledgedBy}` : ''}` : a.state),
          h('dt', null, 'Raised'),
          h('dd', null, timeAgo(a.raisedAt, now), h('span', { class: 'muted' }, ' · ', timeText(a.raisedAt))),
          h('dt', null, 'Subject'),
          h('dd', null, a.subject.kind === 'machine' ? h('a', { attrs: { href: href(['machines', a.subject.id]) } }, a.subject.name) : a.subject.kind === 'kms-host' ? h('a', { attrs: { href: href(['kms-hosts', a.subject.id]) } }, a.subject.name) : a.subject.name),
          a.kmsHost ? [h('dt', null, 'KMS host'), h('dd', null, h('a', { attrs: { href: href(['kms-hosts', a.kmsHost]) } }, a.kmsHost))] : null,
          a.group ? [h('dt', null, 'Group'), h('dd', null, a.group)] : null,
          a.silencedUntil ? [h('dt', null, 'Silenced until'), h('dd', null, timeText(a.silencedUntil), a.silencedBy ? ` by ${a.silencedBy}` : '', a.silenceReason ? ` — ${a.silenceReason}` : '')] : null,
          a.occurrence && a.occurrence > 1 ? [h('dt', null, 'Occurrence'), h('dd', null, `${a.occurrence} (it cleared and came back)`)] : null,
        ),
        a.summary ? h('p', { class: 'muted' }, a.summary) : null,
      ),
    ];
    if (k) {
      sections.push(
        section(
          'Knowledge',
          h(
            'div',
            { class: 'knowledge', attrs: { 'data-testid': 'knowledge' } },
            k.meaning ? h('p', null, h('strong', null, 'What it means. '), k.meaning) : null,
            k.cause ? h('p', null, h('strong', null, 'Likely cause. '), k.cause) : null,
            k.hresult ? h('p', null, h('strong', null, `${k.hresult.code}. `), k.hresult.text) : null,
            k.action ? h('p', null, h('strong', null, 'What to do. '), k.action) : null,
            k.commands.length ? h('pre', null, k.commands.join('\n')) : null,
          ),
        ),
      );
    }
    if (a.machines.length) {
      sections.push(
        section(
          `Affected machines (${a.machines.length})`,
          h(
            'table',
            { class: 'grid static mini' },
            h('tbody', null, a.machines.slice(0, 200).map((m) => h('tr', null, h('td', null, h('a', { attrs: { href: href(['machines', m.machineId]) } }, m.hostname)), h('td', { class: 'muted' }, m.detail)))),
          ),
          a.machines.length > 200 ? h('div', { class: 'muted' }, `and ${a.machines.length - 200} more`) : null,
        ),
      );
    }
    if (roleAtLeast(this.#ctx.session.role, 'operator') && a.state !== 'resolved') sections.push(this.#actions(a));
    if (a.history.length) {
      sections.push(
        section(
          'History',
          h(
            'ul',
            { class: 'timeline' },
            [...a.history].reverse().map((e) =>
              h(
                'li',
                null,
                healthIcon(e.kind === 'resolved' || e.kind === 'acknowledged' ? 'healthy' : e.kind === 'raised' ? severityHealth(a) : 'unknown', 14),
                h('div', null, h('div', null, h('strong', null, e.kind), e.actor ? ` by ${e.actor}` : '', e.comment ? ` — “${e.comment}”` : '', e.detail ? h('span', { class: 'muted' }, ` · ${e.detail}`) : null), h('div', { class: 'when' }, timeText(e.at))),
              ),
            ),
          ),
        ),
      );
    }
    replaceChildren(this.el, sections);
  }

  #actions(a: AlertDetail): HTMLElement {
    const comment = h('textarea', { attrs: { placeholder: 'What you found or did (kept in the alert history)', 'data-testid': 'ack-comment' } });
    comment.value = this.#draft;
    comment.addEventListener('input', () => (this.#draft = comment.value));
    const msg = h('div', { class: 'form-msg', attrs: { role: 'status' } });
    const send = (path: 'ack' | 'comment', btn: HTMLButtonElement) => {
      btn.disabled = true;
      this.#ctx.api.post(`/api/v1/alerts/${encodeURIComponent(a.id)}/${path}`, { comment: comment.value.trim() || undefined }, AckResult).then(
        () => {
          this.#draft = '';
          msg.className = 'form-msg ok';
          msg.textContent = path === 'ack' ? 'Acknowledged.' : 'Comment added.';
          this.refresh();
        },
        (err: unknown) => {
          btn.disabled = false;
          msg.className = 'form-msg error';
          msg.textContent = err instanceof Error ? err.message : String(err);
        },
      );
    };
    const ack = h('button', { class: 'btn primary', attrs: { 'data-testid': 'ack-button' } }, 'Acknowledge');
    ack.addEventListener('click', () => send('ack', ack));
    const addComment = h('button', { class: 'btn' }, 'Add comment');
    addComment.addEventListener('click', () => send('comment', addComment));
    const span = h('select', { attrs: { 'aria-label': 'Silence for' } }, ([[60, '1 hour'], [240, '4 hours'], [1440, '1 day'], [10080, '7 days']] as const).map(([m, l]) => h('option', { attrs: { value: m } }, `Silence ${l}`)));
    const silence = h('button', { class: 'btn' }, 'Silence');
    silence.addEventListener('click', () => {
      const reason = comment.value.trim();
      if (!reason) {
        msg.className = 'form-msg error';
        msg.textContent = 'Say why in the comment: a silence needs a reason.';
        return;
      }
      silence.disabled = true;
      this.#ctx.api.post(`/api/v1/alerts/${encodeURIComponent(a.id)}/silence`, { minutes: Number(span.value), reason }, AckResult).then(
        () => {
          this.#draft = '';
          msg.className = 'form-msg ok';
          msg.textContent = 'Silenced.';
          this.refresh();
        },
        (err: unknown) => {
          silence.disabled = false;
          msg.className = 'form-msg error';
          msg.textContent = err instanceof Error ? err.message : String(err);
        },
      );
    });
    return section(
      'Respond',
      h('div', { class: 'field' }, h('label', null, 'Comment'), comment),
      h('div', { class: 'form-row' }, a.state === 'new' ? ack : null, addComment, span, silence),
      msg,
    );
  }
}

function section(title: string, ...body: Child[]): HTMLElement {
  return h('div', { class: 'section' }, h('h3', null, title), body);
}
