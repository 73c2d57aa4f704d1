/**
 * The Windows agent's packaging tests share one build of dist-like outputs (vawatch-agent.exe and the MSI), kept in
 * test-artifacts/packaging/<hash of the inputs>/ and reused while the sources are unchanged. Test files running at
 * the same time wait for the one that builds (a lock folder).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAgentExe, buildAgentMsi, packageVersion } from '../../agent/packaging/build.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(REPO, 'test-artifacts', 'packaging');

function which(...candidates: string[]): string | undefined {
  for (const c of candidates) {
    if (c.includes('/')) {
      if (existsSync(c)) return c;
      continue;
    }
    const r = spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return undefined;
}

/** Debian's wine64 package installs only /usr/lib/wine/wine64 (the `wine` wrapper is another package). */
export const tools = {
  wine64: which('wine64', '/usr/lib/wine/wine64'),
  wixl: which('wixl'),
  msiinfo: which('msiinfo'),
  msibuild: which('msibuild'),
  osslsigncode: which('osslsigncode'),
};

const BUILD_TOOLS = ['wixl', 'msiinfo', 'msibuild', 'osslsigncode'] as const;

/**
 * Why the packaging tests cannot run here, or undefined when they can. Under CI (.ci/run installs the packages) a
 * missing tool is not a reason: the tests run and fail, they are never skipped quietly.
 */
export function missingTools(needs: ReadonlyArray<keyof typeof tools>): string | undefined {
  if (process.env.CI) return undefined;
  const missing = needs.filter((t) => !tools[t]);
  return missing.length ? `${missing.join(', ')} not installed; apt-get install wine64 msitools wixl osslsigncode` : undefined;
}

export const buildNeeds = BUILD_TOOLS;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : filesUnder(p);
    return [p];
  });
}

let hashOnce: string | undefined;

/**
 * What the build reads: the agent's sources and everything it imports, the packaging files, the versions. Taken once
 * per test file, so sources edited while it runs do not send it to another build half-way.
 */
function inputsHash(): string {
  if (hashOnce) return hashOnce;
  const h = createHash('sha256');
  const files = [...['agent', 'shared', 'platform'].flatMap((d) => filesUnder(join(REPO, d))), join(REPO, 'package.json')].sort();
  for (const f of files) h.update(relative(REPO, f)).update('\0').update(readFileSync(f)).update('\0');
  h.update(process.version);
  hashOnce = h.digest('hex').slice(0, 16);
  return hashOnce;
}

export interface PackagedAgent {
  exe: string;
  msi: string;
  version: string;
  /** The folder of this build (a second MSI may be built beside it). */
  dir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The MSI build a test file started after handing out the exe (its afterAll waits for it: see finishBuilds). */
let pendingMsi: Promise<void> | undefined;

/**
 * Builds the exe and the MSI, or reuses the build of the same inputs. With `{ exeOnly: true }` it returns as soon as
 * the exe is there; if this file is the one building, the MSI goes on in the background until finishBuilds().
 */
export async function packagedAgent(opts: { exeOnly?: boolean } = {}): Promise<PackagedAgent> {
  const dir = join(CACHE, inputsHash());
  const exeDone = join(dir, 'exe.json');
  const done = join(dir, 'done.json');
  const lock = `${dir}.lock`;
  await mkdir(CACHE, { recursive: true });
  const ready = () => {
    const marker = existsSync(done) ? done : opts.exeOnly && existsSync(exeDone) ? exeDone : undefined;
    return marker ? { ...(JSON.parse(readFileSync(marker, 'utf8')) as Omit<PackagedAgent, 'dir'>), dir } : undefined;
  };
  for (const started = Date.now(); Date.now() - started < 600_000; ) {
    const built = ready();
    if (built) return built;
    try {
      await mkdir(lock);
    } catch {
      // Another test file is building; a lock older than 10 minutes is left over from a killed run.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 600_000) await rm(lock, { recursive: true, force: true });
      await sleep(500);
      continue;
    }
    let handedOver = false;
    try {
      // Builds of older sources (about 100 MB each) go, unless another test file is building one.
      for (const old of readdirSync(CACHE)) {
        if (old.endsWith('.lock') || old === basename(dir) || existsSync(join(CACHE, `${old}.lock`))) continue;
        await rm(join(CACHE, old), { recursive: true, force: true });
      }
      await mkdir(dir, { recursive: true });
      const version = await packageVersion();
      const exe = await buildAgentExe(dir);
      await writeFile(exeDone, JSON.stringify({ exe, msi: '', version }));
      const msiStep = async () => {
        try {
          const msi = await buildAgentMsi({ exe, version, outDir: dir });
          await writeFile(done, JSON.stringify({ exe, msi, version }));
        } finally {
          await rm(join(dir, 'sea'), { recursive: true, force: true });
          await rm(lock, { recursive: true, force: true });
        }
      };
      handedOver = true;
      if (opts.exeOnly) {
        pendingMsi = msiStep();
        return { exe, msi: '', version, dir };
      }
      await msiStep();
      return ready()!;
    } finally {
      if (!handedOver) await rm(lock, { recursive: true, force: true });
    }
  }
  throw new Error('timed out waiting for another test file to build the packaged agent');
}

/** Waits for an MSI build this file left running (call it in afterAll, so the lock is never left behind). */
export async function finishBuilds(): Promise<void> {
  await pendingMsi;
}

export async function sizeOf(file: string): Promise<number> {
  return (await stat(file)).size;
}
