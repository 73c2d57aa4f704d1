// Bundles the collector (dashboard/server/cli.ts and everything it imports from this repository) into one ES module
// under dist/collector/, so `npm run collector` starts plain `node` on compiled JavaScript instead of transpiling
// TypeScript with tsx at every start. npm packages stay external (resolved from node_modules at run time): the native
// better-sqlite3 must, and the others gain nothing from bundling. `npm run build:collector -- --help` lists the options.
import * as esbuild from 'esbuild';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
/** Where `npm run collector` expects the bundle. */
export const COLLECTOR_DIST_DIR = path.join(ROOT, 'dist', 'collector');
export const COLLECTOR_BUNDLE = 'cli.mjs';
/** The inputs of the last build (repository-relative), to tell whether it is stale without running esbuild. */
const META_FILE = 'build-meta.json';

/**
 * The node flags the collector runs with (`npm run collector` passes the same ones; keep package.json in step).
 * V8's default old-space cap (about 2–4 GiB depending on the machine) is too small for a million machines; the cap is
 * a ceiling, not an allocation. A 32 MB young generation (default 16 MB) lets more of the start-up's short-lived
 * objects die young instead of being copied; 64 MB started no faster at 1M machines and held ~100 MB more under load.
 * With a big fleet the program also limits how much the old space grows between full collections, once its state
 * is loaded (tightenHeapForBigFleets in cli.ts). Source maps keep stack traces in the logs pointing at the TypeScript.
 */
export const COLLECTOR_NODE_FLAGS = ['--max-old-space-size=8192', '--max-semi-space-size=32', '--enable-source-maps'] as const;

export interface BuildCollectorResult {
  file: string;
  bytes: number;
  inputs: number;
}

// A bundled module's `import.meta.url` is the bundle's, but the collector derives paths from it (the web UI's dist
// folder, the web build's sources, "am I the main module"). Each source file gets its own URL back, relative to the
// bundle, so the build stays valid wherever the repository is moved.
const ownImportMetaUrl = (outDir: string): esbuild.Plugin => ({
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (a) => {
      if (a.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await readFile(a.path, 'utf8');
      if (!source.includes('import.meta.url')) return { contents: source, loader: 'ts' };
      const rel = path.relative(outDir, a.path).split(path.sep).join('/');
      return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'ts' };
    });
  },
});

/** `outDir` must be inside the repository: the bundle imports the npm packages from the node_modules above it. */
export async function buildCollector(outDir: string = COLLECTOR_DIST_DIR): Promise<BuildCollectorResult> {
  await mkdir(outDir, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [path.join(HERE, 'cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Split at the dynamic imports, so the user and backup commands still skip loading express, socket.io and
    // prom-client. Chunks sit beside the entry: the import.meta.url rewrite below is relative to this folder.
    splitting: true,
    outdir: outDir,
    entryNames: COLLECTOR_BUNDLE.replace(/\.mjs$/, ''),
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    sourcemap: 'linked',
    write: false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [ownImportMetaUrl(outDir)],
  });
  // Written next to the final names and renamed over them, so a collector starting meanwhile never reads half a file.
  // Chunks first, the entry last: chunk names are content hashes, so a chunk already there is the same file.
  let bytes = 0;
  const entry = path.join(outDir, COLLECTOR_BUNDLE);
  const files = [...result.outputFiles].sort((a, b) => Number(a.path.startsWith(entry)) - Number(b.path.startsWith(entry)));
  for (const f of files) {
    const tmp = `${f.path}.${process.pid}.tmp`;
    await writeFile(tmp, f.contents);
    await rename(tmp, f.path);
    bytes += f.contents.byteLength;
  }
  // Chunks of older builds: a collector already running loaded its own at start.
  const keep = new Set(files.map((f) => path.basename(f.path)));
  for (const name of await readdir(outDir)) {
    if (/^chunk-.*\.mjs(\.map)?$/.test(name) && !keep.has(name)) await rm(path.join(outDir, name), { force: true });
  }
  const inputs = Object.keys(result.metafile.inputs).map((p) => path.relative(ROOT, path.resolve(p)).split(path.sep).join('/'));
  const tmp = path.join(outDir, `${META_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify({ inputs: [...inputs, path.relative(ROOT, fileURLToPath(import.meta.url)).split(path.sep).join('/')] }));
  await rename(tmp, path.join(outDir, META_FILE));
  return { file: entry, bytes, inputs: inputs.length };
}

/** Builds when the bundle is missing or older than any file it was built from (or this script). */
export async function ensureCollectorBuilt(outDir: string = COLLECTOR_DIST_DIR): Promise<{ file: string; built: boolean }> {
  const file = path.join(outDir, COLLECTOR_BUNDLE);
  if (!(await isStale(outDir))) return { file, built: false };
  return { file: (await buildCollector(outDir)).file, built: true };
}

async function isStale(outDir: string): Promise<boolean> {
  const builtAt = await stat(path.join(outDir, COLLECTOR_BUNDLE)).then((s) => s.mtimeMs, () => 0);
  if (!builtAt) return true;
  let inputs: string[];
  try {
    inputs = (JSON.parse(await readFile(path.join(outDir, META_FILE), 'utf8')) as { inputs: string[] }).inputs;
  } catch {
    return true;
  }
  // A new file imported by an edited one makes that edited file newer than the bundle, so the list needs no rescan.
  for (const rel of inputs) {
    const m = await stat(path.join(ROOT, rel)).then((s) => s.mtimeMs, () => Infinity);
    if (m > builtAt) return true;
  }
  return false;
}

const HELP = `Usage: npm run build:collector -- [options]

Bundles the collector (dashboard/server/cli.ts) with esbuild into dist/collector/${COLLECTOR_BUNDLE} (npm packages stay
external). \`npm run collector\` does this by itself when the bundle is missing or stale, then runs
  node ${COLLECTOR_NODE_FLAGS.join(' ')} dist/collector/${COLLECTOR_BUNDLE}

Options:
  --if-stale        build only when the bundle is missing or older than a source file (quiet when it is current)
  --help            show this help
`;

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const unknown = args.filter((a) => a !== '--if-stale');
  if (unknown.length) {
    process.stderr.write(`build:collector: unknown option ${unknown[0]} (see --help)\n`);
    process.exit(2);
  }
  const started = performance.now();
  const work = args.includes('--if-stale') ? ensureCollectorBuilt() : buildCollector().then((r) => ({ file: r.file, built: true }));
  work.then(
    (r) => {
      // stderr: `npm run collector` keeps stdout for the collector's own lines.
      if (r.built) process.stderr.write(`build:collector: built ${path.relative(ROOT, r.file)} in ${Math.round(performance.now() - started)} ms\n`);
    },
    (err: unknown) => {
      process.stderr.write(`build:collector: ${err instanceof Error ? err.message.split('\n')[0]! : String(err)}\n`);
      process.exit(1);
    },
  );
}
