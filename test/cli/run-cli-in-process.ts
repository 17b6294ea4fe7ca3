// Runs the CLI in this process through runCli, with captured stdout and stderr and only the
// environment the test passes: what a user sees, without starting a child process.
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function captureStream(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function runCliInProcess(argv: string[], env: Record<string, string> = {}, cwd = process.cwd()): Promise<CliRun> {
  const stdout = captureStream();
  const stderr = captureStream();
  const code = await runCli({ argv, env, cwd, stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
