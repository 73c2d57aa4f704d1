// Builds the browser dashboard into dist/: hashed, immutable assets under assets/ and an index.html that names them.
// `npm run build:web -- --help` lists the options. Also importable (buildWeb) so tests build in-process.
import * as esbuild from 'esbuild';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Where the collector looks for the built dashboard. */
export const DEFAULT_DIST_DIR = path.join(HERE, 'dist');

export interface BuildWebOptions {
  outDir?: string;
  minify?: boolean;
  sourcemap?: boolean;
}

export interface BuildWebResult {
  outDir: string;
  /** Paths relative to outDir, e.g. `assets/app-3F2A1B.js`. */
  script: string;
  stylesheet: string;
  bytes: number;
}

export async function buildWeb(options: BuildWebOptions = {}): Promise<BuildWebResult> {
  const outDir = path.resolve(options.outDir ?? DEFAULT_DIST_DIR);
  // Old hashed files would pile up forever; dist/ is ours alone.
  await rm(path.join(outDir, 'assets'), { recursive: true, force: true });
  await mkdir(path.join(outDir, 'assets'), { recursive: true });
  const result = await esbuild.build({
    entryPoints: { app: path.join(HERE, 'src', 'main.ts'), styles: path.join(HERE, 'src', 'styles', 'app.css') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    outdir: path.join(outDir, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    minify: options.minify ?? true,
    sourcemap: options.sourcemap ? 'linked' : false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [withoutZodLocales],
  });
  let script = '';
  let stylesheet = '';
  let bytes = 0;
  for (const [file, info] of Object.entries(result.metafile.outputs)) {
    const rel = path.relative(outDir, path.resolve(file)).split(path.sep).join('/');
    bytes += info.bytes;
    if (rel.endsWith('.js') && info.entryPoint?.endsWith('main.ts')) script = rel;
    if (rel.endsWith('.css') && info.entryPoint?.endsWith('app.css')) stylesheet = rel;
  }
  if (!script || !stylesheet) throw new Error('esbuild produced no script or stylesheet');
  await writeFile(path.join(outDir, 'index.html'), indexHtml(script, stylesheet));
  await writeFile(path.join(outDir, 'favicon.svg'), FAVICON_SVG);
  return { outDir, script, stylesheet, bytes };
}

// zod re-exports every translation of its messages as `z.locales`, which esbuild cannot shake out of the `z`
// namespace; English (the default, registered by zod itself) is all the dashboard uses. Saves about 260 KiB.
const withoutZodLocales: esbuild.Plugin = {
  name: 'without-zod-locales',
  setup(b) {
    b.onResolve({ filter: /locales\/index\.js$/ }, (a) => (/[\\/]zod[\\/]/.test(a.importer) ? { path: 'zod-locales', namespace: 'empty' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

/**
 * Builds the dashboard when dist/ is missing or older than any source file, so `npm start` and `npm run collector`
 * serve the current UI without a separate step. Returns the folder to give the collector as `webDir`.
 */
export async function ensureWebBuilt(outDir: string = DEFAULT_DIST_DIR): Promise<{ outDir: string; built: boolean }> {
  const index = path.join(outDir, 'index.html');
  const builtAt = await stat(index).then((s) => s.mtimeMs, () => 0);
  const newest = await newestMtime(path.join(HERE, 'src'));
  if (builtAt && builtAt >= newest) return { outDir: path.resolve(outDir), built: false };
  const r = await buildWeb({ outDir });
  return { outDir: r.outDir, built: true };
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? await newestMtime(p) : (await stat(p)).mtimeMs);
  }
  return newest;
}

const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1d4ed8"/><path d="M8 17l5 5 11-12" fill="none" stroke="#fff" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

function indexHtml(script: string, stylesheet: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>vawatch</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/${stylesheet}">
<script type="module" src="/${script}"></script>
</head>
<body>
<div id="app" class="boot">Loading vawatch…</div>
<noscript>vawatch needs JavaScript.</noscript>
</body>
</html>
`;
}

const HELP = `Usage: npm run build:web -- [options]

Builds the web dashboard (TypeScript + chart.js, bundled by esbuild) into a folder the collector serves.

Options:
  --out DIR         output folder (default: dashboard/web/dist)
  --no-minify       keep the bundle readable (default: minified)
  --sourcemap       write source maps next to the assets (default: off)
  --help            show this help
`;

function parseArgs(argv: string[]): BuildWebOptions {
  const out: BuildWebOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      process.stdout.write(HELP);
      process.exit(0);
    } else if (a === '--out') {
      const v = argv[++i];
      if (!v || v.startsWith('--')) fail('--out needs a folder');
      out.outDir = v;
    } else if (a.startsWith('--out=')) {
      const v = a.slice('--out='.length);
      if (!v) fail('--out needs a folder');
      out.outDir = v;
    } else if (a === '--no-minify') out.minify = false;
    else if (a === '--minify') out.minify = true;
    else if (a === '--sourcemap') out.sourcemap = true;
    else fail(`unknown option ${a} (see --help)`);
  }
  return out;
}

function fail(reason: string): never {
  process.stderr.write(`build:web: ${reason}\n`);
  process.exit(2);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  buildWeb(opts).then(
    (r) => {
      const ms = Math.round(performance.now() - started);
      process.stdout.write(`built ${r.script} and ${r.stylesheet} (${Math.round(r.bytes / 1024)} KiB) into ${r.outDir} in ${ms} ms\n`);
    },
    (err: unknown) => fail(err instanceof Error ? err.message.split('\n')[0]! : String(err)),
  );
}
