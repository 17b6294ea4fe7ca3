// `npm start`: runs the compiled server (dist/) in this process, compiling TypeScript first only
// when dist/ is missing or older than a source file or tsconfig (`npm ci` already builds through
// `prepare`), and the dashboard only when dist/web is missing or older than a file of web/. Compiling on every start took 13-18 s; the mtime walk takes milliseconds.
// Arguments after `npm start --` go to `squidship serve` (e.g. `npm start -- --role api`).
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';

const BUILD_CONFIGS = ['tsconfig.json', 'tsconfig.build.json'];

/**
 * Why the build in `root` must be redone, or null when dist/ is newer than every input.
 * dist/cli/main.js stands for the build: tsc writes every output file on each build.
 * @param {string} root
 * @returns {string | null}
 */
export function findStaleBuildReason(root) {
  const builtAtMs = statSync(join(root, 'dist', 'cli', 'main.js'), { throwIfNoEntry: false })?.mtimeMs;
  if (builtAtMs === undefined) return 'dist/ is missing';
  const inputs = [...listTypeScriptFiles(join(root, 'src')), ...BUILD_CONFIGS.map((name) => join(root, name))];
  for (const path of inputs) {
    const changedAtMs = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
    if (changedAtMs !== undefined && changedAtMs > builtAtMs) return `${relative(root, path)} is newer than dist/`;
  }
  return null;
}

/**
 * Why the dashboard (dist/web, from web/) must be rebuilt, or null. index.html stands for the
 * build: scripts/build-web.mjs writes it last.
 * @param {string} root
 * @returns {string | null}
 */
export function findStaleWebReason(root) {
  const builtAtMs = statSync(join(root, 'dist', 'web', 'index.html'), { throwIfNoEntry: false })?.mtimeMs;
  if (builtAtMs === undefined) return 'dist/web is missing';
  const inputs = readdirSync(join(root, 'web'), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
  for (const path of inputs) {
    if (statSync(path).mtimeMs > builtAtMs) return `${relative(root, path)} is newer than dist/web`;
  }
  return null;
}

/** @param {string} dir @returns {string[]} */
function listTypeScriptFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    // parentPath from Node 20.12; `path` (its older name) before.
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

/** @param {string} root @param {string} what @param {string | null} reason @param {string[]} args */
function runBuildStep(root, what, reason, args) {
  if (reason === null) return;
  console.error(`squidship: ${what} (${reason})`);
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`squidship: the build failed (${result.error?.message ?? `${args[0]} exited with ${result.status ?? result.signal}`})`);
    process.exit(1);
  }
}

/** @param {string} root */
function buildIfStale(root) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  runBuildStep(root, 'compiling TypeScript', findStaleBuildReason(root), [tsc, '-p', 'tsconfig.build.json']);
  runBuildStep(root, 'building the dashboard', findStaleWebReason(root), [join(root, 'scripts', 'build-web.mjs')]);
}

if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  buildIfStale(root);
  const main = join(root, 'dist', 'cli', 'main.js');
  // The CLI reads process.argv itself: it sees `squidship serve ...`, as from the package's bin.
  process.argv.splice(1, process.argv.length, main, 'serve', ...process.argv.slice(2));
  await import(pathToFileURL(main).href);
}
