// Runs the `squidship` CLI in the test's own process through runCli, the function the entry
// point calls, and collects what a user sees: the exit code and the stdout and stderr text. The
// command gets only the variables the test passes, never the developer's own.
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/run-cli.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliInProcess(args: string[], env: Record<string, string> = {}, cwd = REPO_ROOT): Promise<CliResult> {
  const stdout = captureOutput();
  const stderr = captureOutput();
  const code = await runCli({ argv: args, env: { ...env }, cwd, stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Lines of a captured stream, without the empty one after the last newline. */
export function linesOf(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

function captureOutput(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}
