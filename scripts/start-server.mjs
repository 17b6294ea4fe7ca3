// `npm start`: runs the compiled server (dist/) in this process, compiling TypeScript first only
// when dist/ is missing or older than a source file or tsconfig (`npm ci` already builds through
// `prepare`). Compiling on every start took 13-18 s; the mtime walk takes milliseconds.
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

/** @param {string} dir @returns {string[]} */
function listTypeScriptFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    // parentPath from Node 20.12; `path` (its older name) before.
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

/** @param {string} root */
function buildIfStale(root) {
  const reason = findStaleBuildReason(root);
  if (reason === null) return;
  console.error(`squidship: compiling TypeScript (${reason})`);
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`squidship: the build failed (${result.error?.message ?? `tsc exited with ${result.status ?? result.signal}`})`);
    process.exit(1);
  }
}

if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  buildIfStale(root);
  const main = join(root, 'dist', 'cli', 'main.js');
  // The CLI reads process.argv itself: it sees `squidship serve ...`, as from the package's bin.
  process.argv.splice(1, process.argv.length, main, 'serve', ...process.argv.slice(2));
  await import(pathToFileURL(main).href);
}
