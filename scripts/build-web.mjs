// Builds the dashboard (web/) into dist/web with esbuild: one JS and one CSS file named by their
// content hash (served with a year's cache), index.html pointing at them, and the sample results
// file. Prints the gzipped size and fails above the budget, so the page stays light.
// Run by `npm run build` (and so by `npm ci` through `prepare`); `node scripts/build-web.mjs`.
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import process from 'node:process';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The budget for all of the dashboard's JavaScript, gzipped. */
const JS_BUDGET_BYTES = 150 * 1024;

export async function buildWeb({ outDir = join(root, 'dist', 'web'), quiet = false } = {}) {
  rmSync(outDir, { recursive: true, force: true });
  const assetsDir = join(outDir, 'assets');
  const result = await build({
    entryPoints: [join(root, 'web', 'main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    outdir: assetsDir,
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((path) => join(root, path));
  const script = outputs.find((path) => path.endsWith('.js'));
  const style = outputs.find((path) => path.endsWith('.css'));
  if (script === undefined || style === undefined) throw new Error('esbuild wrote no JS or no CSS');
  const html = readFileSync(join(root, 'web', 'index.html'), 'utf8')
    .replace('%SCRIPT%', `/assets/${basename(script)}`)
    .replace('%STYLE%', `/assets/${basename(style)}`);
  writeFileSync(join(outDir, 'index.html'), html);
  copyFileSync(join(root, 'web', 'sample-results.ndjson'), join(outDir, 'sample-results.ndjson'));
  const jsGzipBytes = outputs.filter((path) => path.endsWith('.js')).reduce((sum, path) => sum + gzipSync(readFileSync(path)).length, 0);
  if (!quiet) process.stdout.write(`dashboard: ${outDir} (JavaScript ${(jsGzipBytes / 1024).toFixed(1)} KiB gzipped, budget ${JS_BUDGET_BYTES / 1024} KiB)\n`);
  if (jsGzipBytes > JS_BUDGET_BYTES) throw new Error(`the dashboard's JavaScript is ${jsGzipBytes} bytes gzipped, over the ${JS_BUDGET_BYTES}-byte budget`);
  return { outDir, jsGzipBytes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildWeb();
}
