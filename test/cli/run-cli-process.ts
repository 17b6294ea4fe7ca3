// Runs the `squidship` CLI as a real child process (`node --import tsx src/cli/main.ts ...`) and
// collects what a user sees: the exit code and the stdout and stderr text. The child gets only
// the SQUIDSHIP_* variables the test passes, never the developer's own.
import { execFile } from 'node:child_process';
import { REPO_ROOT, type CliResult } from './run-cli-in-process.js';

export function runCliProcess(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SQUIDSHIP_')));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: REPO_ROOT, env: { ...inherited, ...env }, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`the CLI did not run: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}
