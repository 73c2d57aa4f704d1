/**
 * `npm run collector -- …`: runs the collector alone (no simulated fleet), manages users, takes backups.
 * The only place that reads the environment, flags and the config file.
 */
import { userInfo } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { ApiKeyName, ApiKeyRole, Role, Username, Password } from '../../shared/api.js';
import { systemClock } from '../../shared/scheduling.js';
import { loadConfig, OPTIONS, optionsHelp, parseFlags } from './cli-config.js';
import { AuditLog } from './audit/audit-log.js';
import { ApiKeyService } from './identity/api-keys.js';
import { UserService } from './identity/user-service.js';
import { newPassword } from './identity/secrets.js';
import { consoleLogger, type Logger } from './log.js';
import { CORE_MIGRATIONS } from './store/core-migrations.js';
import { DATABASE_FILE, migrate, openDatabase } from './store/database.js';
import { ApiError } from './http/api-error.js';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_WEB_DIR = join(here, '..', 'web', 'dist');

const HELP = `usage: npm run collector -- [OPTIONS]                      run the collector (no simulated fleet)
       npm run collector -- user add NAME [--role ROLE] [--password PW]
       npm run collector -- user passwd NAME [--password PW]
       npm run collector -- user role NAME ROLE
       npm run collector -- user remove NAME
       npm run collector -- user list
       npm run collector -- api-key create NAME [--role ROLE] [--expires ISO-TIME | --expires-days N]
       npm run collector -- api-key list
       npm run collector -- api-key revoke ID|NAME
       npm run collector -- backup FILE                           consistent online backup of the database

ROLE is viewer (reads), operator (also acknowledges, comments, silences) or admin (also manages); default viewer.
Without --password a password is generated and printed. User commands work while the collector runs.
API keys are for scripts (Authorization: Bearer vw_…) on the REST API; their ROLE is viewer (default) or operator.
The key is printed once, at creation. User and API key commands are recorded in the audit log as cli:<login name>.

Options (a flag wins over its environment variable, which wins over the config file):
  --config FILE                  env VAWATCH_CONFIG                 default: none
                                 JSON file with any of the keys: ${OPTIONS.map((o) => o.key).join(', ')}
${optionsHelp()}
  --help                         this text

At first start the collector creates the admin user and the enrolment secret and prints the generated ones once.
TLS: give --tls-cert and --tls-key, or run plain HTTP on 127.0.0.1 behind a reverse proxy that terminates TLS
(and set --trust-proxy true). See dashboard/server/README.md.`;

function fail(message: string): never {
  process.stderr.write(`collector: ${message}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${argv[0] === 'api-key' ? API_KEY_HELP : HELP}\n`);
    return;
  }
  const known = ['--config', '--role', '--password', '--expires', '--expires-days', ...OPTIONS.map((o) => o.flag)];
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv, known);
  } catch (e) {
    fail((e as Error).message);
  }
  const { flags, rest } = parsed;
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(flags, process.env, { webDir: DEFAULT_WEB_DIR });
  } catch (e) {
    fail((e as Error).message);
  }
  const command = rest[0];
  if (command === 'user') return userCommand(config.dataDir, rest.slice(1), flags);
  if (command === 'api-key') return apiKeyCommand(config.dataDir, rest.slice(1), flags);
  if (command === 'backup') return backupCommand(config.dataDir, rest.slice(1));
  if (command !== undefined && command !== 'serve') fail(`unknown command "${command}" (see --help)`);
  if (flags.has('--role') || flags.has('--password')) fail('--role and --password belong to the user commands');
  if (flags.has('--expires') || flags.has('--expires-days')) fail('--expires and --expires-days belong to api-key create');

  // Loaded only to serve: the user and backup commands stay quick.
  const [{ createCollector }, { defaultPlugins }, { createCronScheduler }] = await Promise.all([
    import('./collector.js'),
    import('./default-plugins.js'),
    import('../../platform/cron-scheduler.js'),
  ]);
  const log = consoleLogger();
  if (config.webDir === DEFAULT_WEB_DIR) {
    try {
      const { ensureWebBuilt } = await import('../web/build.js');
      await ensureWebBuilt(DEFAULT_WEB_DIR);
    } catch (e) {
      log.warn('the web dashboard could not be built; serving the plain status page', { error: e instanceof Error ? e.message : String(e) });
    }
  }
  let plugins: ReturnType<typeof defaultPlugins>;
  try {
    plugins = defaultPlugins({ alertsConfig: config.alertsConfig });
  } catch (e) {
    fail((e as Error).message);
  }
  const collector = await createCollector({ config, clock: systemClock, scheduler: createCronScheduler(), log, plugins });
  tightenHeapForBigFleets(collector.state.machineCount, log);
  let address: { url: string };
  try {
    address = await collector.listen();
  } catch (e) {
    await collector.close();
    fail(`cannot listen on ${config.host}:${config.port}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  process.stdout.write(`collector: listening on ${address.url} (data in ${config.dataDir})\n`);
  const first = collector.firstStart;
  if (first.adminPassword) process.stdout.write(`collector: first start: admin user "${first.adminUsername}" created with password ${first.adminPassword} (shown once)\n`);
  if (first.enrolmentSecret) process.stdout.write(`collector: first start: enrolment secret ${first.enrolmentSecret} (shown once; agents need it)\n`);
  const stop = async () => {
    await collector.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

async function userCommand(dataDir: string, args: string[], flags: Map<string, string>): Promise<void> {
  const [action, name, extra] = args;
  await withAdminStore(dataDir, async (db, audit) => {
    const users = new UserService(db, { clock: systemClock, sessionIdleMs: 12 * 3_600_000, signInFailures: 5, signInWindowMs: 900_000 });
    switch (action) {
      case 'list':
        for (const u of users.list()) process.stdout.write(`${u.username}\t${u.role}\tlast sign-in ${u.lastSignInAt ?? 'never'}\n`);
        return;
      case 'add': {
        const username = check(Username, name, 'user name');
        const role = check(Role, flags.get('--role') ?? 'viewer', '--role');
        const given = flags.get('--password');
        const password = check(Password, given ?? newPassword(), '--password');
        await users.add(username, password, role);
        audit.record('user.create', username, { role });
        process.stdout.write(`user ${username} added as ${role}${given ? '' : ` with password ${password}`}\n`);
        return;
      }
      case 'passwd': {
        if (!name) fail('user passwd needs a NAME');
        const given = flags.get('--password');
        const password = check(Password, given ?? newPassword(), '--password');
        await users.update(name, { password });
        audit.record('user.update', name, { password: 'changed' });
        process.stdout.write(`password of ${name} changed${given ? '' : ` to ${password}`}; their sessions ended\n`);
        return;
      }
      case 'role': {
        if (!name) fail('user role needs a NAME and a ROLE');
        const role = check(Role, extra, 'ROLE');
        await users.update(name, { role });
        audit.record('user.update', name, { role });
        process.stdout.write(`${name} is now ${role}\n`);
        return;
      }
      case 'remove':
        if (!name) fail('user remove needs a NAME');
        users.remove(name);
        audit.record('user.remove', name);
        process.stdout.write(`user ${name} removed\n`);
        return;
      default:
        fail(`unknown user command "${action ?? ''}" (add, passwd, role, remove, list)`);
    }
  });
}

/** A zod-like schema's value, or the program stops with `what` and the first issue. */
function check<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ message: string }> } } }, v: unknown, what: string): T {
  const r = schema.safeParse(v);
  if (!r.success) fail(`${what}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}

/** Opens the store for an admin command (migrated, with its audit log) and closes both however the command ends. */
async function withAdminStore(dataDir: string, run: (db: Database.Database, audit: CliAudit) => Promise<void> | void): Promise<void> {
  const db = openDatabase(dataDir);
  migrate(db, 'core', CORE_MIGRATIONS);
  const audit = cliAudit(db);
  try {
    await run(db, audit);
  } catch (e) {
    if (e instanceof ApiError) fail(e.message);
    throw e;
  } finally {
    audit.close();
    db.close();
  }
}

type CliAudit = ReturnType<typeof cliAudit>;

/** User and API key commands go to the audit log as `cli:<login name>` from `local`. */
function cliAudit(db: Database.Database): { record(action: string, target: string, detail?: Record<string, unknown>): void; close(): void } {
  const log = new AuditLog(db, systemClock, { retentionMs: Number.MAX_SAFE_INTEGER, maxEntries: Number.MAX_SAFE_INTEGER });
  let who = 'unknown';
  try {
    who = userInfo().username;
  } catch {
    // no login name (some containers): keep "unknown"
  }
  return {
    record: (action, target, detail) => log.append({ actor: `cli:${who}`, address: 'local', action, target, detail: detail ?? null, outcome: 'ok', status: 0 }),
    close: () => log.close(),
  };
}

const API_KEY_HELP = `usage: npm run collector -- api-key create NAME [--role viewer|operator] [--expires ISO-TIME | --expires-days N]
       npm run collector -- api-key list
       npm run collector -- api-key revoke ID|NAME

API keys let scripts (SIEM, reports, Grafana's JSON sources) use the REST API with
  curl -H "Authorization: Bearer vw_…" http://collector:8080/api/v1/summary
ROLE is viewer (reads; the default) or operator (also acknowledges, comments and silences alerts); a key is never
an admin. The key is printed once; only its hash is stored. Revoking takes effect at once, also on a running collector.`;

async function apiKeyCommand(dataDir: string, args: string[], flags: Map<string, string>): Promise<void> {
  const [action, name] = args;
  if (action === undefined) {
    process.stdout.write(`${API_KEY_HELP}\n`);
    return;
  }
  await withAdminStore(dataDir, (db, audit) => {
    const keys = new ApiKeyService(db, systemClock);
    switch (action) {
      case 'create': {
        const keyName = check(ApiKeyName, name, 'key name');
        const role = ApiKeyRole.safeParse(flags.get('--role') ?? 'viewer');
        if (!role.success) fail('--role: expected viewer or operator (a key is never an admin)');
        const expiresAt = expiryOf(flags);
        const created = keys.create({ name: keyName, role: role.data, expiresAt }, `cli:${userInfo().username}`);
        audit.record('api-key.create', `${created.name} (${created.id})`, { role: created.role, expiresAt: created.expiresAt });
        process.stdout.write(`API key ${created.name} (id ${created.id}, ${created.role}${created.expiresAt ? `, expires ${created.expiresAt}` : ', no expiry'}):\n${created.key}\n`);
        process.stdout.write('Copy it now: it is not shown again. Use it as  Authorization: Bearer <key>\n');
        return;
      }
      case 'list': {
        const items = keys.list();
        if (items.length === 0) process.stdout.write('no API keys\n');
        for (const k of items) {
          const state = k.revokedAt ? `revoked ${k.revokedAt}` : k.expiresAt && Date.parse(k.expiresAt) <= systemClock.now() ? `expired ${k.expiresAt}` : k.expiresAt ? `expires ${k.expiresAt}` : 'no expiry';
          process.stdout.write(`${k.id}\t${k.name}\t${k.role}\t${state}\tlast used ${k.lastUsedAt ? `${k.lastUsedAt} from ${k.lastUsedFrom ?? '?'}` : 'never'}\n`);
        }
        return;
      }
      case 'revoke': {
        if (!name) fail('api-key revoke needs an ID or NAME (see api-key list)');
        const revoked = keys.revoke(name, `cli:${userInfo().username}`);
        audit.record('api-key.revoke', `${revoked.name} (${revoked.id})`);
        process.stdout.write(`API key ${revoked.name} (${revoked.id}) revoked\n`);
        return;
      }
      default:
        fail(`unknown api-key command "${action}" (create, list, revoke; see api-key --help)`);
    }
  });
}

/** --expires ISO-TIME or --expires-days N (at most one); none: the key does not expire. */
function expiryOf(flags: Map<string, string>): string | null {
  const at = flags.get('--expires');
  const days = flags.get('--expires-days');
  if (at !== undefined && days !== undefined) fail('give --expires or --expires-days, not both');
  if (at !== undefined) {
    const ms = Date.parse(at);
    if (!/^\d{4}-\d{2}-\d{2}/.test(at) || Number.isNaN(ms)) fail(`--expires: expected an ISO time such as 2027-01-31T00:00:00Z, got "${at}"`);
    return new Date(ms).toISOString();
  }
  if (days !== undefined) {
    const n = Number(days);
    if (!Number.isFinite(n) || n <= 0 || n > 3650) fail(`--expires-days: expected a number of days between 0 and 3650, got "${days}"`);
    return new Date(systemClock.now() + n * 86_400_000).toISOString();
  }
  return null;
}

async function backupCommand(dataDir: string, args: string[]): Promise<void> {
  const file = args[0];
  if (!file) fail('backup needs a FILE');
  // Opened read-write (WAL needs it), but only read: safe beside a running collector.
  const db = new Database(join(dataDir, DATABASE_FILE), { fileMustExist: true });
  try {
    const r = await db.backup(file);
    process.stdout.write(`backup of ${join(dataDir, DATABASE_FILE)} written to ${file} (${r.totalPages} pages)\n`);
  } catch (e) {
    fail(`backup to ${file} failed: ${(e as Error).message}`);
  } finally {
    db.close();
  }
}

await main(process.argv.slice(2));

/** From this many machines on, the heap grows by 20% between full collections (see tightenHeapForBigFleets). */
const TIGHT_HEAP_MACHINES = 200_000;

/**
 * A big fleet's state is most of the heap and lives for good, and V8 lets a big heap grow by up to 4x what a full
 * collection left before the next one: 2.5 GB resident for a 1.8 GB state at a million machines under load, ~2.0 GB
 * with 20%. A small fleet does better without: its collections are cheap and frequent ones cost throughput (a
 * 10,000-machine collector took ~30% fewer reports a second with 20%). Decided once, when the state is loaded.
 *
 * V8 applies the growth at each full collection, and the last one while loading set the next limit with the old
 * growth: at a million machines the heap then grew from 1.4 to 1.9 GB over the first two minutes (what the start-up's
 * background passes leave behind), and the full collection that brought it back came when it came. So one full
 * collection runs here, before listening (~1 s at a million machines), and the limit follows the new growth from the
 * start.
 */
function tightenHeapForBigFleets(machines: number, log: Logger): void {
  if (machines < TIGHT_HEAP_MACHINES) return;
  const started = performance.now();
  setFlagsFromString('--heap-growing-percent=20');
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  log.info('big fleet: the heap grows by 20% between full collections', {
    machines,
    from: TIGHT_HEAP_MACHINES,
    fullCollectionMs: Math.round(performance.now() - started),
  });
}
