/**
 * How the `cim` source talks to PowerShell. The default is one long-lived process per agent (`PersistentPowerShell`):
 * started once, fed commands on stdin, each answer framed so that nothing can mix one command's output with
 * another's. Every PowerShell start costs a few hundred ms of CPU and tens of MB, and endpoint security logs each one;
 * one per command was about 1,500 a day per machine.
 *
 * The protocol (the host script is in `hostScript()`):
 * - the agent starts PowerShell reading commands from stdin (`-Command -`) and writes the host script as one line;
 *   the script prints `@@vawatch-ready` and from then on reads stdin itself, one request per line;
 * - a request is `<nonce> <base64 of the command's UTF-8 text>`; the nonce is 96 random bits, new for every command;
 * - the answer is a frame: `@@vawatch-begin <nonce>`, `@@status ok|error`, `@@ws <working set bytes>`,
 *   `@@out-bytes <n>`, `@@out <base64 of the output's UTF-8>`, `@@err <base64 of the error text>`,
 *   `@@vawatch-end <nonce>`. Base64 keeps the frame ASCII whatever the console code page and line ends; the byte
 *   count and the nonce make a torn or foreign frame detectable. Any line outside the frame of the command being
 *   run (a banner, a prompt, a BOM, something a module printed) is ignored.
 * A command that does not answer within its timeout kills the process; a process that exits, prints a frame that does
 * not check out, or cannot start is replaced at the next command (every command only reads, so one that was cut off
 * by a dying process is run again once on the new one). The process is also replaced after `maxCommands` commands or
 * when its working set passes `maxWorkingSetMb`, so a leak in a WMI or event-log provider cannot grow for months.
 */
import { execFile, spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { powershellArgs } from './powershell-commands.js';

export interface PowerShellResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs PowerShell commands; `run` resolves (never rejects) with what the command printed or why it failed. */
export interface PowerShellSession {
  run(command: string): Promise<PowerShellResult>;
  close(): Promise<void>;
}

/** The executables `auto` tries, in order: Windows PowerShell 5.1 is in every Windows since 10 / 2016; then 7. */
export const POWERSHELL_AUTO_ORDER = ['powershell.exe', 'pwsh.exe'] as const;

/** No profile, no prompts, no logo, no execution policy in the way of a script read from stdin. */
export const PERSISTENT_POWERSHELL_ARGS = ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', '-'] as const;

export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;
export const DEFAULT_START_TIMEOUT_MS = 60_000;
/** About 14 hours of the default schedules on a KMS host (about 3,400 commands a day). */
export const DEFAULT_MAX_COMMANDS = 2_000;
/** Windows PowerShell 5.1 idles at 60–90 MB; far above that is a leak. */
export const DEFAULT_MAX_WORKING_SET_MB = 300;
/** A line longer than this is not a frame (the old execFile limit was 64 MB of output). */
const MAX_LINE_CHARS = 128 * 1024 * 1024;

const READY = '@@vawatch-ready';

/**
 * The host script: one line (with `-Command -`, PowerShell runs each complete line as it reads it), after which the
 * script reads stdin itself until it closes. Nothing else is written before its ready line, so PowerShell's own
 * stdin reader cannot have read ahead into the requests. `$ErrorActionPreference = 'Stop'` turns every error into
 * one the catch sees, as a failing `-Command` used to end with exit code 1.
 */
export function hostScript(): string {
  return [
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false',
    'function __vwB64([string]$s) { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($s)) }',
    `[Console]::Out.WriteLine('${READY}')`,
    '[Console]::Out.Flush()',
    'while ($true) { ' +
      [
        '$line = [Console]::In.ReadLine()',
        'if ($null -eq $line) { break }',
        "$parts = $line.Trim().Split(' ')",
        'if ($parts.Length -ne 2) { continue }',
        "$status = 'ok'; $text = ''; $err = ''",
        'try { ' +
          [
            '$cmd = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($parts[1]))',
            '$text = (@(& ([ScriptBlock]::Create($cmd))) | ForEach-Object { [string]$_ }) -join "`n"',
          ].join('; ') +
          ' } catch { ' +
          "$status = 'error'; $err = ($_.Exception.Message + \"`r`n    + FullyQualifiedErrorId : \" + $_.FullyQualifiedErrorId)" +
          ' }',
        '$bytes = [Text.Encoding]::UTF8.GetBytes([string]$text)',
        '$ws = [Diagnostics.Process]::GetCurrentProcess().WorkingSet64',
        '$o = [Console]::Out',
        '$o.WriteLine(\'@@vawatch-begin \' + $parts[0])',
        "$o.WriteLine('@@status ' + $status)",
        "$o.WriteLine('@@ws ' + $ws)",
        "$o.WriteLine('@@out-bytes ' + $bytes.Length)",
        "$o.WriteLine('@@out ' + [Convert]::ToBase64String($bytes))",
        "$o.WriteLine('@@err ' + (__vwB64 $err))",
        "$o.WriteLine('@@vawatch-end ' + $parts[0])",
        '$o.Flush()',
      ].join('; ') +
      ' }',
  ].join('; ');
}

/** A request line: the nonce and the command as base64 of its UTF-8. */
export function requestLine(nonce: string, command: string): string {
  return `${nonce} ${Buffer.from(command, 'utf8').toString('base64')}\n`;
}

export type SpawnPowerShell = (exe: string, args: readonly string[]) => ChildProcess;

const defaultSpawn: SpawnPowerShell = (exe, args) => nodeSpawn(exe, [...args], { windowsHide: true, stdio: ['pipe', 'pipe', 'pipe'] });

export interface PersistentPowerShellOptions {
  /** `auto` (default: POWERSHELL_AUTO_ORDER, the first that starts), `powershell.exe`, `pwsh`, or a full path. */
  powershell?: string;
  /** Overrides the arguments (a fake PowerShell in tests); default PERSISTENT_POWERSHELL_ARGS. */
  args?: readonly string[];
  spawn?: SpawnPowerShell;
  commandTimeoutMs?: number;
  startTimeoutMs?: number;
  maxCommands?: number;
  maxWorkingSetMb?: number;
  log?: (line: string) => void;
}

export interface PowerShellSessionStats {
  /** Processes started (the figure endpoint security sees). */
  starts: number;
  commands: number;
  timeouts: number;
  /** Processes that exited, or printed a frame that did not check out, while a command ran. */
  died: number;
  /** Replaced after maxCommands or above maxWorkingSetMb. */
  recycled: number;
  /** Lines ignored outside the frame of the running command. */
  junkLines: number;
  /** Working set in the last frame, bytes. */
  lastWorkingSet?: number;
  /** The executable that started last. */
  executable?: string;
}

type Outcome =
  | { kind: 'answer'; ok: boolean; stdout: string; stderr: string; workingSet: number }
  | { kind: 'timeout' }
  | { kind: 'broken'; why: string };

interface Frame {
  status?: string;
  ws?: number;
  outBytes?: number;
  out?: string;
  err?: string;
  bad?: string;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** One running PowerShell: line splitting, the ready line, one framed exchange at a time. */
class HostProcess {
  readonly child: ChildProcess;
  commands = 0;
  #exited = false;
  #exitWhy = '';
  #stderrTail = '';
  #partial: string[] = [];
  #partialChars = 0;
  #decoder = new StringDecoder('utf8');
  #onReady: ((ok: boolean) => void) | undefined;
  #current: { nonce: string; frame: Frame | undefined; done: (o: Outcome) => void } | undefined;
  readonly #stats: PowerShellSessionStats;

  constructor(child: ChildProcess, stats: PowerShellSessionStats) {
    this.child = child;
    this.#stats = stats;
    child.stdin?.on('error', () => {}); // EPIPE when it died: the exit handler reports it
    child.stdout?.on('data', (b: Buffer) => this.#data(this.#decoder.write(b)));
    child.stderr?.on('data', (b: Buffer) => {
      this.#stderrTail = (this.#stderrTail + b.toString('utf8')).slice(-2000);
    });
    // 'exit' stops new commands; the running one is failed at 'close', after the last of its output was read.
    let gone = false;
    const exited = (why: string) => {
      if (this.#exited) return;
      this.#exited = true;
      this.#exitWhy = why;
    };
    const closed = (why: string) => {
      exited(why);
      if (gone) return;
      gone = true;
      this.#onReady?.(false);
      this.#finish({ kind: 'broken', why: this.describeExit() });
    };
    child.on('error', (e: NodeJS.ErrnoException) => closed(e.code ?? e.message));
    child.on('exit', (code, signal) => exited(signal ? `killed by ${signal}` : `exit code ${code}`));
    child.on('close', (code, signal) => closed(signal ? `killed by ${signal}` : `exit code ${code}`));
    // Not what keeps the agent alive: a pending command's timer is. `snapshot` must end when it printed.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
  }

  get exited(): boolean {
    return this.#exited;
  }

  get exitWhy(): string {
    return this.#exitWhy;
  }

  describeExit(): string {
    const tail = this.#stderrTail.split(/\r?\n/).find((l) => l.trim() !== '')?.trim();
    return `PowerShell ended (${this.#exitWhy || 'unknown'})${tail ? `: ${tail.slice(0, 300)}` : ''}`;
  }

  /** Writes the host script and waits for its ready line. */
  ready(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.#exited) return resolve(false);
      const timer = setTimeout(() => settle(false), timeoutMs);
      const settle = (ok: boolean) => {
        clearTimeout(timer);
        this.#onReady = undefined;
        resolve(ok);
      };
      this.#onReady = settle;
      this.child.stdin?.write(`${hostScript()}\n`);
    });
  }

  exchange(nonce: string, command: string, timeoutMs: number): Promise<Outcome> {
    return new Promise((resolve) => {
      if (this.#exited) return resolve({ kind: 'broken', why: this.describeExit() });
      const timer = setTimeout(() => this.#finish({ kind: 'timeout' }), timeoutMs);
      this.#current = {
        nonce,
        frame: undefined,
        done: (o) => {
          clearTimeout(timer);
          resolve(o);
        },
      };
      this.child.stdin?.write(requestLine(nonce, command));
    });
  }

  kill(): void {
    if (!this.#exited) this.child.kill('SIGKILL');
  }

  /** Asks the host script to end (stdin closes), and kills it if it has not within a few seconds. */
  retire(): void {
    if (this.#exited) return;
    this.child.stdin?.end();
    setTimeout(() => this.kill(), 5_000).unref();
  }

  #finish(o: Outcome): void {
    const c = this.#current;
    this.#current = undefined;
    c?.done(o);
  }

  /** Splits stdout into lines, looking for line ends only in new text (a body line can be tens of MB). */
  #data(text: string): void {
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      const line = this.#partial.length > 0 ? this.#partial.join('') + text.slice(start, nl) : text.slice(start, nl);
      this.#partial = [];
      this.#partialChars = 0;
      start = nl + 1;
      this.#line(line.replace(/[\r\uFEFF]/g, ''));
    }
    if (start < text.length) {
      this.#partial.push(text.slice(start));
      this.#partialChars += text.length - start;
    }
    if (this.#partialChars > MAX_LINE_CHARS) {
      this.#partial = [];
      this.#partialChars = 0;
      this.#finish({ kind: 'broken', why: `PowerShell printed a line over ${MAX_LINE_CHARS} characters` });
      this.kill();
    }
  }

  #line(line: string): void {
    if (this.#onReady && line.trim() === READY) {
      this.#onReady(true);
      return;
    }
    const c = this.#current;
    if (!c) {
      if (line.trim() !== '') this.#stats.junkLines++;
      return;
    }
    if (!c.frame) {
      if (line === `@@vawatch-begin ${c.nonce}`) c.frame = {};
      else if (line.trim() !== '') this.#stats.junkLines++;
      return;
    }
    const f = c.frame;
    if (line === `@@vawatch-end ${c.nonce}`) {
      this.#finish(checkFrame(f));
      return;
    }
    const m = /^@@(status|ws|out-bytes|out|err) ?(.*)$/.exec(line);
    if (!m) {
      if (line.trim() !== '') this.#stats.junkLines++;
      return;
    }
    const [, key, value] = m as unknown as [string, string, string];
    const seen = { status: f.status, ws: f.ws, 'out-bytes': f.outBytes, out: f.out, err: f.err }[key];
    if (seen !== undefined) f.bad = `@@${key} twice`;
    else if (key === 'status') f.status = value;
    else if (key === 'ws') f.ws = Number(value);
    else if (key === 'out-bytes') f.outBytes = Number(value);
    else if (key === 'out') f.out = value;
    else f.err = value;
  }
}

function checkFrame(f: Frame): Outcome {
  const broken = (why: string): Outcome => ({ kind: 'broken', why: `PowerShell printed a frame that does not check out (${why})` });
  if (f.bad) return broken(f.bad);
  if (f.status !== 'ok' && f.status !== 'error') return broken(`status ${JSON.stringify(f.status)}`);
  if (f.out === undefined || f.err === undefined || !B64.test(f.out) || !B64.test(f.err)) return broken('body missing or not base64');
  const out = Buffer.from(f.out, 'base64');
  if (!Number.isSafeInteger(f.outBytes) || out.length !== f.outBytes) return broken(`${out.length} bytes where it announced ${f.outBytes}`);
  return {
    kind: 'answer',
    ok: f.status === 'ok',
    stdout: out.toString('utf8'),
    stderr: Buffer.from(f.err, 'base64').toString('utf8'),
    workingSet: Number.isFinite(f.ws) ? f.ws! : 0,
  };
}

/** One PowerShell process for the whole agent, commands one at a time (see the top of this file). */
export class PersistentPowerShell implements PowerShellSession {
  readonly #candidates: readonly string[];
  readonly #args: readonly string[];
  readonly #spawn: SpawnPowerShell;
  readonly #commandTimeoutMs: number;
  readonly #startTimeoutMs: number;
  readonly #maxCommands: number;
  readonly #maxWorkingSet: number;
  readonly #log: (line: string) => void;
  #proc: HostProcess | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  readonly stats: PowerShellSessionStats = { starts: 0, commands: 0, timeouts: 0, died: 0, recycled: 0, junkLines: 0 };

  constructor(opts: PersistentPowerShellOptions = {}) {
    const exe = opts.powershell ?? 'auto';
    this.#candidates = exe === 'auto' ? POWERSHELL_AUTO_ORDER : [exe];
    this.#args = opts.args ?? PERSISTENT_POWERSHELL_ARGS;
    this.#spawn = opts.spawn ?? defaultSpawn;
    this.#commandTimeoutMs = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.#startTimeoutMs = opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    this.#maxCommands = Math.max(1, opts.maxCommands ?? DEFAULT_MAX_COMMANDS);
    this.#maxWorkingSet = (opts.maxWorkingSetMb ?? DEFAULT_MAX_WORKING_SET_MB) * 1024 * 1024;
    this.#log = opts.log ?? (() => {});
  }

  run(command: string): Promise<PowerShellResult> {
    const p = this.#queue.then(() => this.#run(command, true));
    this.#queue = p.catch(() => undefined);
    return p;
  }

  /**
   * Closes stdin at once: the host script ends after the command it is running, if any; a process still there 5 s
   * later is killed (so a hung command does not hold up the agent's stop for the whole command timeout).
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#proc?.retire();
    this.#proc = undefined;
    await this.#queue;
  }

  async #run(command: string, mayRetry: boolean): Promise<PowerShellResult> {
    if (this.#closed) return { ok: false, stdout: '', stderr: 'the PowerShell session is closed' };
    let proc: HostProcess;
    try {
      proc = await this.#ensure();
    } catch (e) {
      return { ok: false, stdout: '', stderr: (e as Error).message };
    }
    this.stats.commands++;
    proc.commands++;
    const o = await proc.exchange(randomBytes(12).toString('hex'), command, this.#commandTimeoutMs);
    if (o.kind === 'answer') {
      this.stats.lastWorkingSet = o.workingSet;
      if (proc.commands >= this.#maxCommands || o.workingSet > this.#maxWorkingSet) {
        this.stats.recycled++;
        const why = proc.commands >= this.#maxCommands ? `${proc.commands} commands` : `working set ${Math.round(o.workingSet / 1048576)} MB`;
        this.#log(`PowerShell replaced after ${why}`);
        this.#drop(proc, 'retire');
      }
      return { ok: o.ok, stdout: o.stdout, stderr: o.stderr };
    }
    if (o.kind === 'timeout') {
      this.stats.timeouts++;
      this.#drop(proc, 'kill');
      const why = `PowerShell did not answer within ${Math.round(this.#commandTimeoutMs / 1000)} s; it was stopped and a new one starts at the next command`;
      this.#log(why);
      return { ok: false, stdout: '', stderr: why };
    }
    this.stats.died++;
    this.#drop(proc, 'kill');
    this.#log(`${o.why}; starting a new one`);
    // Every command only reads: running it again on a fresh process is safe. Once, so a command that kills its
    // process cannot loop.
    if (mayRetry) return this.#run(command, false);
    return { ok: false, stdout: '', stderr: o.why };
  }

  #drop(proc: HostProcess, how: 'kill' | 'retire'): void {
    if (how === 'kill') proc.kill();
    else proc.retire();
    if (this.#proc === proc) this.#proc = undefined;
  }

  async #ensure(): Promise<HostProcess> {
    if (this.#proc && !this.#proc.exited) return this.#proc;
    this.#proc = undefined;
    const failures: string[] = [];
    for (const exe of this.#candidates) {
      this.stats.starts++;
      const proc = new HostProcess(this.#spawn(exe, this.#args), this.stats);
      if (await proc.ready(this.#startTimeoutMs)) {
        this.stats.executable = exe;
        this.#proc = proc;
        return proc;
      }
      proc.kill();
      failures.push(`${exe}: ${proc.exited ? proc.describeExit() : `no ready line within ${Math.round(this.#startTimeoutMs / 1000)} s`}`);
    }
    throw new Error(`PowerShell could not be started (${failures.join('; ')})`);
  }
}

/** Runs one PowerShell process with a command line; resolves (never rejects) with what it printed. */
export type PowerShellRunner = (exe: string, args: string[]) => Promise<PowerShellResult>;

export const execFileRunner: PowerShellRunner = (exe, args) =>
  new Promise((resolve) => {
    execFile(exe, args, { windowsHide: true, timeout: DEFAULT_COMMAND_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ ok: !err, stdout, stderr: err && !stderr ? err.message : stderr });
    });
  });

/**
 * The old way, one process per command: the benchmark's comparison. Not offered by the agent's configuration; a
 * composition root can still pass it to CimSource as `session`.
 */
export class OneShotPowerShell implements PowerShellSession {
  readonly #exe: string;
  readonly #runner: PowerShellRunner;
  starts = 0;

  constructor(opts: { powershell?: string; runner?: PowerShellRunner } = {}) {
    this.#exe = opts.powershell === undefined || opts.powershell === 'auto' ? POWERSHELL_AUTO_ORDER[0] : opts.powershell;
    this.#runner = opts.runner ?? execFileRunner;
  }

  run(command: string): Promise<PowerShellResult> {
    this.starts++;
    return this.#runner(this.#exe, powershellArgs(command));
  }

  async close(): Promise<void> {}
}
