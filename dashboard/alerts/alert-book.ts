/**
 * The alert lifecycle, kept in SQLite: a condition the rules report becomes an alert (new); an operator acknowledges
 * it (who, when, comment), comments on it, or silences it until a time with a reason; it resolves by itself when the
 * condition clears; if the condition returns, that is a new occurrence linked to the old one. Every step is a row of
 * history. Open alerts are also held in memory by key so reconciling after each ingest is cheap.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { AlertCondition } from './incident-grouping.js';
import type { AffectedMachine, Finding, Knowledge, RuleName, Severity } from './model.js';

export type AlertState = 'new' | 'acknowledged' | 'resolved';

export interface AlertRecord {
  id: string;
  key: string;
  rule: RuleName;
  severity: Severity;
  state: AlertState;
  subject: Finding['subject'];
  groups: string[];
  kmsHost: string | null;
  title: string;
  machines: AffectedMachine[];
  knowledge: Knowledge;
  raisedAt: number;
  updatedAt: number;
  resolvedAt: number | null;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  silencedUntil: number | null;
  silencedBy: string | null;
  silenceReason: string | null;
  /** The occurrence before this one of the same condition. */
  previousId: string | null;
  /** 1 for the first time the condition appeared, then 2, 3… */
  occurrence: number;
}

export type AlertHistoryKind = 'raised' | 'changed' | 'acknowledged' | 'commented' | 'silenced' | 'resolved';

export interface AlertHistoryEntry {
  at: number;
  kind: AlertHistoryKind;
  actor: string | null;
  comment: string | null;
  detail: string | null;
}

export interface AlertQuery {
  state?: AlertState | 'active' | 'silenced';
  severity?: Severity;
  rule?: string;
  group?: string;
  kmsHost?: string;
  offset: number;
  limit: number;
}

export interface AlertCountsNow {
  active: number;
  critical: number;
  warning: number;
  acknowledged: number;
}

/** A refusal of an operator action: not found (404) or not possible in the alert's state (409). */
export class AlertActionError extends Error {
  constructor(
    readonly reason: 'not-found' | 'conflict' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

interface Row {
  id: number;
  key: string;
  rule: string;
  severity: string;
  state: string;
  subject_kind: string;
  subject_id: string;
  subject_name: string;
  groups: string;
  kms_host: string | null;
  title: string;
  machines: string;
  knowledge: string;
  raised_at: number;
  updated_at: number;
  resolved_at: number | null;
  acknowledged_by: string | null;
  acknowledged_at: number | null;
  silenced_until: number | null;
  silenced_by: string | null;
  silence_reason: string | null;
  previous_id: number | null;
  occurrence: number;
}

function fromRow(r: Row): AlertRecord {
  return {
    id: String(r.id),
    key: r.key,
    rule: r.rule as RuleName,
    severity: r.severity as Severity,
    state: r.state as AlertState,
    subject: { kind: r.subject_kind as Finding['subject']['kind'], id: r.subject_id, name: r.subject_name },
    groups: r.groups.split('|').filter(Boolean),
    kmsHost: r.kms_host,
    title: r.title,
    machines: JSON.parse(r.machines) as AffectedMachine[],
    knowledge: JSON.parse(r.knowledge) as Knowledge,
    raisedAt: r.raised_at,
    updatedAt: r.updated_at,
    resolvedAt: r.resolved_at,
    acknowledgedBy: r.acknowledged_by,
    acknowledgedAt: r.acknowledged_at,
    silencedUntil: r.silenced_until,
    silencedBy: r.silenced_by,
    silenceReason: r.silence_reason,
    previousId: r.previous_id === null ? null : String(r.previous_id),
    occurrence: r.occurrence,
  };
}

/** Groups stored as `|a|b|` so one LIKE finds a group. */
function groupsColumn(groups: readonly string[]): string {
  return `|${groups.join('|')}|`;
}

function sameMachineSet(a: readonly AffectedMachine[], b: readonly AffectedMachine[]): boolean {
  return a.length === b.length && a.every((m, i) => m.machineId === b[i]!.machineId);
}

function sameDetails(a: readonly AffectedMachine[], b: readonly AffectedMachine[]): boolean {
  return a.every((m, i) => m.detail === b[i]!.detail);
}

export class AlertBook {
  #db: Database;
  #open = new Map<string, AlertRecord>();
  /** Open alerts per `rule|severity|state`, kept as they come and go, so counts never walk the open alerts. */
  #tally = new Map<string, number>();
  /** Keys of open alerts that carry a silence (whether it is still in force is judged when asked). */
  #silenced = new Set<string>();
  #insert: Statement;
  #update: Statement;
  #history: Statement;
  #lastOfKey: Statement;

  constructor(db: Database) {
    this.#db = db;
    this.#insert = db.prepare(`INSERT INTO alerts (key, rule, severity, state, subject_kind, subject_id, subject_name,
        groups, kms_host, title, machines, knowledge, raised_at, updated_at, resolved_at, acknowledged_by,
        acknowledged_at, silenced_until, silenced_by, silence_reason, previous_id, occurrence)
      VALUES (@key, @rule, @severity, @state, @subject_kind, @subject_id, @subject_name, @groups, @kms_host, @title,
        @machines, @knowledge, @raised_at, @updated_at, NULL, NULL, NULL, @silenced_until, @silenced_by,
        @silence_reason, @previous_id, @occurrence)`);
    this.#update = db.prepare(`UPDATE alerts SET severity = @severity, state = @state, subject_name = @subject_name,
        groups = @groups, kms_host = @kms_host, title = @title, machines = @machines, knowledge = @knowledge,
        updated_at = @updated_at, resolved_at = @resolved_at, acknowledged_by = @acknowledged_by,
        acknowledged_at = @acknowledged_at, silenced_until = @silenced_until, silenced_by = @silenced_by,
        silence_reason = @silence_reason WHERE id = @id`);
    this.#history = db.prepare('INSERT INTO alert_history (alert_id, at, kind, actor, comment, detail) VALUES (?, ?, ?, ?, ?, ?)');
    this.#lastOfKey = db.prepare('SELECT * FROM alerts WHERE key = ? ORDER BY id DESC LIMIT 1');
    for (const r of db.prepare("SELECT * FROM alerts WHERE state != 'resolved'").all() as Row[]) {
      const a = fromRow(r);
      this.#put(a.key, a);
    }
  }

  /** Open (not resolved) alerts. */
  open(): AlertRecord[] {
    return [...this.#open.values()];
  }

  /**
   * Brings the alerts in line with the conditions the rules see now: raises the new ones, updates the changed ones,
   * resolves those whose condition cleared. Returns the alerts that changed. One transaction.
   */
  reconcile(conditions: readonly AlertCondition[], now: number): AlertRecord[] {
    const changed: AlertRecord[] = [];
    const seen = new Set<string>();
    this.#db.transaction(() => {
      for (const c of conditions) {
        seen.add(c.key);
        this.#bring(c, now, changed);
      }
      for (const key of [...this.#open.keys()]) if (!seen.has(key)) this.#resolve(key, now, changed);
    })();
    return changed;
  }

  /**
   * The same for some alert keys only (those whose findings changed): each key is raised or updated from its
   * condition, or resolved when it has none. O(keys), however many alerts are open. One transaction.
   */
  reconcileKeys(keys: Iterable<string>, conditionOf: (key: string) => AlertCondition | undefined, now: number): AlertRecord[] {
    const changed: AlertRecord[] = [];
    this.#db.transaction(() => {
      for (const key of keys) {
        const c = conditionOf(key);
        if (c) this.#bring(c, now, changed);
        else this.#resolve(key, now, changed);
      }
    })();
    return changed;
  }

  /** Keys of the open alerts. */
  openKeys(): string[] {
    return [...this.#open.keys()];
  }

  #bring(c: AlertCondition, now: number, changed: AlertRecord[]): void {
    const a = this.#open.get(c.key);
    if (!a) {
      changed.push(this.#raise(c, now));
      return;
    }
    const notes: string[] = [];
    if (a.severity !== c.severity) notes.push(`severity ${a.severity} → ${c.severity}`);
    const sameSet = sameMachineSet(a.machines, c.machines);
    if (!sameSet) notes.push(`${c.machines.length} machine(s) (was ${a.machines.length})`);
    // Detail and title changes are saved and published but are not history: only severity and membership are.
    if (notes.length === 0 && a.title === c.summary && sameDetails(a.machines, c.machines)) return;
    // An escalation to critical brings an acknowledged alert back to the operators' attention.
    const reopen = a.state === 'acknowledged' && a.severity === 'warning' && c.severity === 'critical';
    const next: AlertRecord = {
      ...a,
      severity: c.severity,
      state: reopen ? 'new' : a.state,
      subject: { ...a.subject, name: c.subject.name },
      groups: c.groups,
      kmsHost: c.kmsHost,
      title: c.summary,
      machines: c.machines,
      knowledge: c.knowledge,
      updatedAt: now,
    };
    this.#save(next);
    if (notes.length) this.#note(next.id, now, 'changed', null, null, notes.join('; ') + (reopen ? '; back to new' : ''));
    this.#put(c.key, next);
    changed.push(next);
  }

  #resolve(key: string, now: number, changed: AlertRecord[]): void {
    const a = this.#open.get(key);
    if (!a) return;
    const done: AlertRecord = { ...a, state: 'resolved', resolvedAt: now, updatedAt: now };
    this.#save(done);
    this.#note(a.id, now, 'resolved', null, null, 'the condition cleared');
    this.#drop(key);
    changed.push(done);
  }

  acknowledge(id: string, who: string, comment: string | null, now: number): AlertRecord {
    const a = this.#openById(id);
    if (a.state === 'acknowledged') throw new AlertActionError('conflict', `alert ${id} is already acknowledged by ${a.acknowledgedBy}`);
    const next: AlertRecord = { ...a, state: 'acknowledged', acknowledgedBy: who, acknowledgedAt: now, updatedAt: now };
    this.#db.transaction(() => {
      this.#save(next);
      this.#note(id, now, 'acknowledged', who, comment, null);
    })();
    this.#put(a.key, next);
    return next;
  }

  /** Comments are allowed on resolved alerts too (post-mortem notes). */
  comment(id: string, who: string, comment: string, now: number): AlertRecord {
    const a = this.get(id);
    if (!a) throw new AlertActionError('not-found', `alert ${id} does not exist`);
    const next: AlertRecord = { ...a, updatedAt: now };
    this.#db.transaction(() => {
      this.#save(next);
      this.#note(id, now, 'commented', who, comment, null);
    })();
    if (this.#open.has(a.key) && this.#open.get(a.key)!.id === id) this.#put(a.key, next);
    return next;
  }

  silence(id: string, who: string, until: number, reason: string, now: number): AlertRecord {
    const a = this.#openById(id);
    if (until <= now) throw new AlertActionError('invalid', `until must be in the future (now is ${new Date(now).toISOString()})`);
    const next: AlertRecord = { ...a, silencedUntil: until, silencedBy: who, silenceReason: reason, updatedAt: now };
    this.#db.transaction(() => {
      this.#save(next);
      this.#note(id, now, 'silenced', who, reason, `until ${new Date(until).toISOString()}`);
    })();
    this.#put(a.key, next);
    return next;
  }

  get(id: string): AlertRecord | undefined {
    if (!/^\d+$/.test(id)) return undefined;
    const r = this.#db.prepare('SELECT * FROM alerts WHERE id = ?').get(Number(id)) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  history(id: string): AlertHistoryEntry[] {
    return (this.#db.prepare('SELECT at, kind, actor, comment, detail FROM alert_history WHERE alert_id = ? ORDER BY id').all(Number(id)) as AlertHistoryEntry[]).map(
      (h) => ({ ...h }),
    );
  }

  /** The earlier occurrences of the same condition, newest first. */
  previousOccurrences(a: AlertRecord): AlertRecord[] {
    return (this.#db.prepare('SELECT * FROM alerts WHERE key = ? AND id < ? ORDER BY id DESC').all(a.key, Number(a.id)) as Row[]).map(fromRow);
  }

  query(q: AlertQuery, now: number): { items: AlertRecord[]; total: number } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.state === 'active') where.push("state != 'resolved'");
    else if (q.state === 'silenced') {
      where.push("state != 'resolved' AND silenced_until > ?");
      args.push(now);
    } else if (q.state) {
      where.push('state = ?');
      args.push(q.state);
    }
    if (q.severity) {
      where.push('severity = ?');
      args.push(q.severity);
    }
    if (q.rule) {
      where.push('rule = ?');
      args.push(q.rule);
    }
    if (q.group) {
      where.push("groups LIKE ? ESCAPE '\\'");
      args.push(`%|${q.group.replace(/[\\%_]/g, (c) => `\\${c}`)}|%`);
    }
    if (q.kmsHost) {
      where.push('kms_host = ?');
      args.push(q.kmsHost.toLowerCase());
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.#db.prepare(`SELECT count(*) AS n FROM alerts ${clause}`).get(...args) as { n: number }).n;
    const rows = this.#db
      .prepare(
        `SELECT * FROM alerts ${clause}
         ORDER BY state = 'resolved', severity = 'critical' DESC, raised_at DESC, id DESC LIMIT ? OFFSET ?`,
      )
      .all(...args, q.limit, q.offset) as Row[];
    return { items: rows.map(fromRow), total };
  }

  /** Open alerts not silenced count as active. O(silenced alerts), not O(open alerts). */
  counts(now: number): AlertCountsNow {
    const c: AlertCountsNow = { active: 0, critical: 0, warning: 0, acknowledged: 0 };
    for (const t of this.tallies(now)) {
      if (t.state === 'silenced') continue;
      c.active += t.count;
      c[t.severity] += t.count;
      if (t.state === 'acknowledged') c.acknowledged += t.count;
    }
    return c;
  }

  /** Open alerts by rule × severity × state, `silenced` while a silence is in force (what the metrics export). */
  tallies(now: number): Array<{ rule: RuleName; severity: Severity; state: 'new' | 'acknowledged' | 'silenced'; count: number }> {
    const counts = new Map(this.#tally);
    for (const key of this.#silenced) {
      const a = this.#open.get(key)!;
      if (a.silencedUntil === null || a.silencedUntil <= now) continue;
      bumpTally(counts, `${a.rule}|${a.severity}|${a.state}`, -1);
      bumpTally(counts, `${a.rule}|${a.severity}|silenced`, 1);
    }
    return [...counts].map(([k, count]) => {
      const [rule, severity, state] = k.split('|') as [RuleName, Severity, 'new' | 'acknowledged' | 'silenced'];
      return { rule, severity, state, count };
    });
  }

  #put(key: string, a: AlertRecord): void {
    this.#drop(key);
    this.#open.set(key, a);
    bumpTally(this.#tally, `${a.rule}|${a.severity}|${a.state}`, 1);
    if (a.silencedUntil !== null) this.#silenced.add(key);
  }

  #drop(key: string): void {
    const old = this.#open.get(key);
    if (!old) return;
    this.#open.delete(key);
    bumpTally(this.#tally, `${old.rule}|${old.severity}|${old.state}`, -1);
    this.#silenced.delete(key);
  }

  #openById(id: string): AlertRecord {
    const a = this.get(id);
    if (!a) throw new AlertActionError('not-found', `alert ${id} does not exist`);
    if (a.state === 'resolved') throw new AlertActionError('conflict', `alert ${id} is resolved`);
    return this.#open.get(a.key) ?? a;
  }

  #raise(c: AlertCondition, now: number): AlertRecord {
    const prev = this.#lastOfKey.get(c.key) as Row | undefined;
    // A silence still in force covers the recurrence too: muting is for a flapping condition.
    const carry = prev && prev.silenced_until !== null && prev.silenced_until > now;
    const info = this.#insert.run({
      key: c.key,
      rule: c.rule,
      severity: c.severity,
      state: 'new',
      subject_kind: c.subject.kind,
      subject_id: c.subject.id,
      subject_name: c.subject.name,
      groups: groupsColumn(c.groups),
      kms_host: c.kmsHost,
      title: c.summary,
      machines: JSON.stringify(c.machines),
      knowledge: JSON.stringify(c.knowledge),
      raised_at: now,
      updated_at: now,
      silenced_until: carry ? prev.silenced_until : null,
      silenced_by: carry ? prev.silenced_by : null,
      silence_reason: carry ? prev.silence_reason : null,
      previous_id: prev ? prev.id : null,
      occurrence: prev ? prev.occurrence + 1 : 1,
    });
    const id = String(info.lastInsertRowid);
    this.#note(id, now, 'raised', null, null, prev ? `occurrence ${prev.occurrence + 1}; previous alert ${prev.id}` : c.summary);
    const a = fromRow(this.#db.prepare('SELECT * FROM alerts WHERE id = ?').get(Number(id)) as Row);
    this.#put(c.key, a);
    return a;
  }

  #save(a: AlertRecord): void {
    this.#update.run({
      id: Number(a.id),
      severity: a.severity,
      state: a.state,
      subject_name: a.subject.name,
      groups: groupsColumn(a.groups),
      kms_host: a.kmsHost,
      title: a.title,
      machines: JSON.stringify(a.machines),
      knowledge: JSON.stringify(a.knowledge),
      updated_at: a.updatedAt,
      resolved_at: a.resolvedAt,
      acknowledged_by: a.acknowledgedBy,
      acknowledged_at: a.acknowledgedAt,
      silenced_until: a.silencedUntil,
      silenced_by: a.silencedBy,
      silence_reason: a.silenceReason,
    });
  }

  #note(id: string, at: number, kind: AlertHistoryKind, actor: string | null, comment: string | null, detail: string | null): void {
    this.#history.run(Number(id), at, kind, actor, comment, detail);
  }
}

function bumpTally(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n === 0) counts.delete(key);
  else counts.set(key, n);
}
