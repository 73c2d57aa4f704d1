/**
 * One fuzzing campaign against a real collector (real HTTP on 127.0.0.1, a real SQLite file, the default plug-ins):
 * batches of generated requests are sent concurrently over keep-alive connections; every answer must be a 2xx, or
 * a 4xx with a readable ErrorBody; a batch answered only with refusals must leave the store as it was. fast-check
 * shrinks the first failing batch to a small counterexample.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type Database from 'better-sqlite3';
import { defaultPlugins } from '../dashboard/server/default-plugins.js';
import type { CollectorPlugin } from '../dashboard/server/plugin.js';
import {
  ADMIN,
  enrolAgent,
  getJson,
  postJson,
  product,
  report,
  SECRET,
  sendBatch,
  signIn,
  snapshot,
  startCollector,
  T0,
  type EnrolledAgent,
  type Harness,
} from '../test/support/collector-harness.js';
import { AGENT_ID, fuzzCase, MACHINE_ID, mutate, OTHER_MACHINE_ID, type CaseSpec, type Route } from './cases.js';
import { FuzzClient, type RawAnswer, type RawRequest } from './http-client.js';

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** Requests in flight at once, one keep-alive connection each: the batch size (64). */
  concurrency?: number;
  /** fast-check replay path of a failing run (printed with a failure). */
  path?: string;
  /** Progress lines (stderr in the CLI). */
  progress?: (line: string) => void;
  /** Extra plug-ins for the collector under test (the self-test plants a bug with one). */
  plugins?: CollectorPlugin[];
}

export interface FuzzResult {
  seed: number;
  /** Requests generated and sent in the campaign (shrinking's re-runs not counted). */
  cases: number;
  serverErrors: number;
  crashes: number;
  /** Batches answered only with refusals whose store digest changed. */
  stateChanges: number;
  /** Refused requests whose batch was checked for an unchanged store. */
  refusalsChecked: number;
  /** Full-content digests of the tables compared (on top of the per-batch change counter). */
  fullDigests: number;
  byRoute: Record<string, Record<string, number>>;
  durationMs: number;
  /** The shrunk counterexample and how to replay it, when the campaign failed. */
  failure?: { message: string; counterexample: string; replay: string };
}

interface Context {
  h: Harness;
  agentA: EnrolledAgent;
  agentB: EnrolledAgent;
  cookies: Record<'admin' | 'operator' | 'viewer', string>;
  alertIds: string[];
  machines: string[];
  victims: string[];
}

/** Requests per batch, sent at once (one connection each) unless `concurrency` says otherwise. */
const BATCH = 64;

/** What the campaign found wrong (as opposed to an error of the campaign itself). */
class Finding extends Error {}
/** Lanes move to fresh loopback addresses after this many cases, so per-address limits do not refuse everything. */
const ROTATE_EVERY = 1024;
/** A full-content digest of every table is compared around the refusals of one batch in this many. */
const FULL_DIGEST_EVERY = 64;

export async function runFuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const started = Date.now();
  const progress = opts.progress ?? (() => undefined);
  let crashes = 0;
  const crashed: string[] = [];
  const onCrash = (e: unknown) => {
    crashes++;
    crashed.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  const h = await startCollector({
    // Rates are not what is fuzzed here: an agent may send as fast as the fuzzer does.
    config: { agentBurst: 1_000_000_000, agentRequestsPerSecond: 1_000_000_000 },
    plugins: [...defaultPlugins(), ...(opts.plugins ?? [])],
  });
  const batchSize = opts.concurrency ?? BATCH;
  const client = new FuzzClient(h.url, batchSize);
  try {
    const ctx = await prepare(h);
    const counter = installChangeCounter(h.collector.db);
    const stats = { sent: 0, serverErrors: 0, stateChanges: 0, refusalsChecked: 0, fullDigests: 0, lastFull: -FULL_DIGEST_EVERY, batches: 0, sinceRotate: 0 };
    const byRoute: Record<string, Record<string, number>> = {};
    let shrinking = false;
    let lastProgress = Date.now();

    const property = fc.asyncProperty(fc.array(fuzzCase, { minLength: batchSize, maxLength: batchSize }), async (batch) => {
      const take = shrinking ? batch : batch.slice(0, Math.max(0, opts.cases - stats.sent));
      if (take.length === 0) return;
      const before = digest(h, counter);
      // Due every FULL_DIGEST_EVERY batches, around the next set of requests answered only with refusals.
      const wantFull = !shrinking && stats.batches - stats.lastFull >= FULL_DIGEST_EVERY;
      const fullBefore = wantFull ? fullDigest(h.collector.db) : undefined;
      const requests = take.map((c) => build(ctx, c));
      const answers = await Promise.all(requests.map((r, i) => client.send(i, r).then((a) => a, (e: unknown) => e as Error)));
      const problems: string[] = [];
      let allRefused = true;
      answers.forEach((a, i) => {
        const spec = take[i]!;
        const request = requests[i]!;
        if (a instanceof Error) {
          problems.push(`connection failed (${a.message}) on ${describe(spec, request)}`);
          return;
        }
        if (!shrinking) tally(byRoute, spec.route, a);
        if (a.status >= 200 && a.status < 300) allRefused = false;
        const wrong = judge(a);
        if (wrong) problems.push(`${wrong} on ${describe(spec, request)}\n  answer: ${a.status} ${clip(a.text, 300)}`);
        if (a.status === 201 && spec.route === 'enrol') adoptReenrolment(ctx, a);
      });
      if (!shrinking) {
        stats.sent += take.length;
        stats.batches++;
        stats.sinceRotate += take.length;
        stats.serverErrors += answers.filter((a) => !(a instanceof Error) && a.status >= 500).length;
      }
      // Refused requests must have changed nothing. A batch where some were accepted says nothing about its refusals:
      // those are sent again on their own, and the digests are compared around that second wave.
      const unchanged = (indices: number[], before: string, fullBefore: string | undefined) => {
        if (!shrinking) stats.refusalsChecked += indices.length;
        const after = digest(h, counter);
        if (after !== before) {
          problems.push(`the store changed (${before} → ${after}) although every request was refused:\n${indices.map((i) => `  ${describe(take[i]!, requests[i]!)} → ${(answers[i] as RawAnswer).status}`).join('\n')}`);
        } else if (fullBefore !== undefined) {
          stats.fullDigests++;
          stats.lastFull = stats.batches;
          if (fullDigest(h.collector.db) !== fullBefore) problems.push("the tables' content changed although every request was refused");
        }
      };
      if (problems.length === 0 && allRefused) unchanged(take.map((_c, i) => i), before, fullBefore);
      else if (problems.length === 0) {
        const refused = answers.flatMap((a, i) => (!(a instanceof Error) && a.status >= 400 ? [i] : []));
        const again = digest(h, counter);
        const fullAgain = wantFull ? fullDigest(h.collector.db) : undefined;
        const second = await Promise.all(refused.map((i, k) => client.send(k, requests[i]!).then((a) => a, (e: unknown) => e as Error)));
        second.forEach((a, k) => {
          const i = refused[k]!;
          if (a instanceof Error) problems.push(`connection failed (${a.message}) on ${describe(take[i]!, requests[i]!)} (sent again)`);
          else if (a.status >= 500) problems.push(`${a.status} server error on ${describe(take[i]!, requests[i]!)} (sent again)\n  answer: ${a.status} ${clip(a.text, 300)}`);
        });
        // One that is accepted the second time (a conflict since resolved) leaves this wave unchecked.
        if (problems.length === 0 && second.every((a) => !(a instanceof Error) && a.status >= 400)) unchanged(refused, again, fullAgain);
      }
      if (crashes > 0) problems.push(`the collector crashed: ${clip(crashed[0] ?? '', 2000)}`);
      if (stats.sinceRotate >= ROTATE_EVERY) {
        client.rotate();
        stats.sinceRotate = 0;
      }
      if (Date.now() - lastProgress > 5000) {
        lastProgress = Date.now();
        progress(`fuzz: ${stats.sent}/${opts.cases} cases, ${stats.serverErrors} 5xx, ${crashes} crashes, ${Math.round((stats.sent * 1000) / (Date.now() - started))}/s`);
      }
      if (problems.length > 0) {
        if (!shrinking) {
          stats.stateChanges += problems.some((p) => p.startsWith('the store') || p.startsWith('the tables')) ? 1 : 0;
          shrinking = true;
          progress('fuzz: a failing batch; shrinking it to a small counterexample…');
        }
        throw new Finding(problems.join('\n'));
      }
    });

    const runs = Math.ceil(opts.cases / batchSize);
    const details = await fc.check(property, {
      numRuns: runs,
      seed: opts.seed,
      ...(opts.path ? { path: opts.path } : {}),
      endOnFailure: false,
    });
    const result: FuzzResult = {
      seed: opts.seed,
      cases: stats.sent,
      serverErrors: stats.serverErrors,
      crashes,
      stateChanges: stats.stateChanges,
      refusalsChecked: stats.refusalsChecked,
      fullDigests: stats.fullDigests,
      byRoute,
      durationMs: Date.now() - started,
    };
    if (details.failed) {
      const err = details.errorInstance;
      result.failure = {
        // An error of the campaign itself (not a finding) keeps its stack.
        message: err instanceof Finding ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err),
        counterexample: details.counterexample ? stringifyValue(details.counterexample) : '(none)',
        replay: `npm run fuzz -- --seed ${opts.seed} --path ${details.counterexamplePath ?? ''} --cases ${opts.cases}${batchSize === BATCH ? '' : ` --concurrency ${batchSize}`}`,
      };
    }
    return result;
  } finally {
    client.close();
    await h.close();
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  }
}

/** A fleet with alerts to act on, users of each role, agents to report as, machines to patch and retire. */
async function prepare(h: Harness): Promise<Context> {
  const admin = await signIn(h);
  const must = (r: { status: number; body: unknown }, what: string) => {
    if (r.status >= 300) throw new Error(`fuzz set-up: ${what}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  for (const [username, role] of [['fuzz-operator', 'operator'], ['fuzz-viewer', 'viewer'], ['victim-1', 'viewer'], ['victim-2', 'operator']] as const) {
    must(await postJson(`${h.url}/api/v1/users`, { username, password: 'fuzz-password-1', role }, { cookie: admin }), `user ${username}`);
  }
  const agentA = await enrolAgent(h, 'fuzz-m-a', 'fuzz-a.contoso.com');
  const agentB = await enrolAgent(h, 'fuzz-m-b', 'fuzz-b.contoso.com');
  const machines: string[] = [];
  // Machines with problems (notification, unlicensed): their alerts are what acks, comments and silences act on.
  for (let i = 0; i < 6; i++) {
    const id = `fuzz-problem-${i}`;
    const a = await enrolAgent(h, id, `${id}.contoso.com`);
    const status = i % 2 === 0 ? 5 : 0;
    must(await sendBatch(h, a, [report(a, 1, T0, { snapshot: snapshot(id, `${id}.contoso.com`, T0, { products: [product({ licenseStatus: status, licenseStatusReason: 0xc004f034 })] }) })]), `report ${id}`);
    machines.push(id);
  }
  for (const m of ['fuzz-m-a', 'fuzz-m-b']) {
    const a = m === 'fuzz-m-a' ? agentA : agentB;
    must(await sendBatch(h, a, [report(a, 1, T0, { snapshot: snapshot(m, `${m}.contoso.com`, T0) })]), `report ${m}`);
  }
  const alerts = await getJson(`${h.url}/api/v1/alerts?limit=100`, admin);
  must(alerts, 'alert list');
  const alertIds = (alerts.body.items as Array<{ id: string }>).map((a) => a.id);
  if (alertIds.length === 0) throw new Error('fuzz set-up: no alert was raised to act on');
  return {
    h,
    agentA,
    agentB,
    cookies: { admin, operator: await signIn(h, 'fuzz-operator', 'fuzz-password-1'), viewer: await signIn(h, 'fuzz-viewer', 'fuzz-password-1') },
    alertIds,
    machines: [...machines, 'no-such-machine'],
    victims: ['victim-1', 'victim-2', 'no-such-user'],
  };
}

/** A re-enrolment of the fuzzing agent's own machine hands out a new token: keep reporting with it. */
function adoptReenrolment(ctx: Context, a: RawAnswer): void {
  try {
    const body = JSON.parse(a.text) as EnrolledAgent;
    if (body.machineId === ctx.agentA.machineId) ctx.agentA = body;
    if (body.machineId === ctx.agentB.machineId) ctx.agentB = body;
  } catch {
    // judged elsewhere
  }
}

const PATHS: Record<Route, [string, (p: string) => string, 'alerts' | 'machines' | 'victims' | null]> = {
  enrol: ['POST', () => '/api/v1/agents/enrol', null],
  reports: ['POST', () => '/api/v1/reports', null],
  session: ['POST', () => '/api/v1/session', null],
  ack: ['POST', (p) => `/api/v1/alerts/${p}/ack`, 'alerts'],
  comment: ['POST', (p) => `/api/v1/alerts/${p}/comment`, 'alerts'],
  silence: ['POST', (p) => `/api/v1/alerts/${p}/silence`, 'alerts'],
  settings: ['PUT', () => '/api/v1/alerts/settings', null],
  'create-user': ['POST', () => '/api/v1/users', null],
  'update-user': ['PATCH', (p) => `/api/v1/users/${p}`, 'victims'],
  'patch-machine': ['PATCH', (p) => `/api/v1/machines/${p}`, 'machines'],
  retire: ['POST', (p) => `/api/v1/machines/${p}/retire`, 'machines'],
  'api-key': ['POST', () => '/api/v1/api-keys', null],
  list: ['GET', (p) => `/api/v1/${p}`, null],
};

/** Turns a generated case into bytes and headers, with the fuzzing agent's real ids and the sessions' cookies. */
function build(ctx: Context, c: CaseSpec): RawRequest & { shown: string } {
  const [method, pathOf, known] = PATHS[c.route];
  const list = known === 'alerts' ? ctx.alertIds : known === 'machines' ? ctx.machines : known === 'victims' ? ctx.victims : [];
  const param = typeof c.param === 'number' ? encodeURIComponent(list[c.param % Math.max(1, list.length)] ?? 'x') : c.param;
  const headers: Record<string, string> = {};
  if (c.contentType !== null) headers['content-type'] = c.contentType;
  switch (c.auth) {
    case 'agent':
      headers.authorization = `Bearer ${ctx.agentA.token}`;
      break;
    case 'other-agent':
      headers.authorization = `Bearer ${ctx.agentB.token}`;
      break;
    case 'bad-token':
      headers.authorization = 'Bearer not-a-token';
      break;
    case 'bad-scheme':
      headers.authorization = 'Basic Zm9vOmJhcg==';
      break;
    case 'admin':
    case 'operator':
    case 'viewer':
      headers.cookie = ctx.cookies[c.auth];
      break;
    case 'bad-cookie':
      headers.cookie = 'vawatch_session=%E0%A4%A; other=1';
      break;
    case 'bad-api-key':
      headers.authorization = 'Bearer vw_000000000000_not-a-real-key-not-a-real-key-not-a-rea';
      break;
    case 'huge-cookie':
      headers.cookie = `vawatch_session=${'z'.repeat(20_000)}`;
      break;
    case 'none':
      break;
  }
  let body: Buffer | undefined;
  if (c.body.kind === 'json') {
    const text = JSON.stringify(mutate(c.body.value, c.body.mutation)) ?? 'null';
    const real: Record<string, string> = {
      [AGENT_ID]: ctx.agentA.agentId,
      [MACHINE_ID]: ctx.agentA.machineId,
      [OTHER_MACHINE_ID]: ctx.agentB.machineId,
      '@@secret@@': SECRET,
      '@@token@@': ctx.agentA.token,
      '@@adminPassword@@': ADMIN.password,
    };
    body = Buffer.from(text.replace(/"(@@\w+@@)"/g, (m, key: string) => (real[key] !== undefined ? JSON.stringify(real[key]) : m)), 'utf8');
  } else if (c.body.kind === 'raw') {
    body = Buffer.from(c.body.text, c.body.latin1 ? 'latin1' : 'utf8');
  }
  const shown = body === undefined ? '(no body)' : body.toString(c.body.kind === 'raw' && c.body.latin1 ? 'latin1' : 'utf8');
  if (body !== undefined) {
    if (c.transport === 'gzip') {
      body = gzipSync(body);
      headers['content-encoding'] = 'gzip';
    } else if (c.transport === 'bad-gzip') headers['content-encoding'] = 'gzip';
    else if (c.transport === 'unknown-encoding') headers['content-encoding'] = 'x-fuzz';
  }
  return { method, path: pathOf(param), headers, ...(body !== undefined ? { body } : {}), chunked: c.transport === 'chunked' && body !== undefined, shown };
}

/** Why an answer is wrong, or undefined: 2xx, or 4xx with {error: {code, message}} (431 comes from Node without one). */
function judge(a: RawAnswer): string | undefined {
  if (a.status >= 500) return `${a.status} server error`;
  if (a.status >= 200 && a.status < 300) return undefined;
  if (a.status < 400) return `unexpected status ${a.status}`;
  if (a.status === 431) return undefined;
  try {
    const b = JSON.parse(a.text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof b.error?.code === 'string' && typeof b.error.message === 'string' && b.error.message.length > 0) return undefined;
  } catch {
    // falls through
  }
  return `a ${a.status} without a readable ErrorBody`;
}

function tally(byRoute: Record<string, Record<string, number>>, route: string, a: RawAnswer): void {
  const r = (byRoute[route] ??= {});
  const key = String(a.status);
  r[key] = (r[key] ?? 0) + 1;
}

function describe(c: CaseSpec, r: RawRequest & { shown: string }): string {
  const body = c.transport === 'gzip' && r.body !== undefined ? `gzip(${clip(r.shown, 600)})` : clip(r.shown, 600);
  const headers = Object.entries(r.headers)
    .filter(([k]) => k !== 'cookie' && k !== 'authorization')
    .map(([k, v]) => `${k}: ${clip(v, 60)}`)
    .join(', ');
  return `${r.method} ${clip(r.path, 120)} as ${c.auth}${r.chunked ? ', chunked' : ''} [${headers}] ${body}`;
}

/** fast-check's rendering of a counterexample; too deep to render (a nesting bomb) says so. */
function stringifyValue(v: unknown): string {
  try {
    return clip(fc.stringify(v), 1500);
  } catch {
    return '(too deeply nested to print; the requests above are the counterexample)';
  }
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s;
}

// ---- the store digest ----

/**
 * Counts every row written to the collector's tables, by temporary triggers on its own connection (they live only
 * as long as the connection and cost nothing when nothing is written). Tables named *audit* are left out: refused
 * requests are recorded there on purpose.
 */
function installChangeCounter(db: Database.Database): () => number {
  db.exec('CREATE TEMP TABLE IF NOT EXISTS fuzz_changes (n INTEGER NOT NULL); INSERT INTO fuzz_changes (n) VALUES (0);');
  for (const t of watchedTables(db)) {
    for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
      db.exec(`CREATE TEMP TRIGGER IF NOT EXISTS "fuzz_${t}_${op}" AFTER ${op} ON main."${t}" BEGIN UPDATE fuzz_changes SET n = n + 1; END;`);
    }
  }
  const read = db.prepare('SELECT n FROM temp.fuzz_changes');
  return () => (read.get() as { n: number }).n;
}

function watchedTables(db: Database.Database): string[] {
  return (db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string; sql: string }>)
    .filter((t) => !/^CREATE VIRTUAL/i.test(t.sql) && !/audit/i.test(t.name))
    .map((t) => t.name);
}

/** Rows written so far plus what the in-memory state holds: equal before and after means nothing changed. */
function digest(h: Harness, changes: () => number): string {
  return `${changes()}:${h.collector.state.machineCount}:${h.collector.state.activeMachineCount}`;
}

/** SHA-256 of every row of every watched table, in rowid order. */
function fullDigest(db: Database.Database): string {
  const hash = createHash('sha256');
  for (const t of watchedTables(db)) {
    hash.update(`\u0000${t}\u0000`);
    for (const row of db.prepare(`SELECT * FROM "${t}"`).iterate()) hash.update(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : Buffer.isBuffer(v) ? v.toString('base64') : v)));
  }
  return hash.digest('hex');
}
