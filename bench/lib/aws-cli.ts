// The reference uploader: the official aws CLI copying a file to the same S3 endpoint.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const AWS_CLI = '/usr/bin/aws';

export function isAwsCliInstalled(): boolean {
  return existsSync(AWS_CLI);
}

/** s3rver's documented default credentials (it accepts any signature): the reference and Squidship both sign with them. */
export const S3RVER_KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

const AWS_ENV = { AWS_ACCESS_KEY_ID: S3RVER_KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_KEYS.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1' };

export interface AwsTiming {
  /** Wall-clock milliseconds, CLI start-up included. */
  ms: number;
  /** User + system CPU milliseconds of the CLI (bash's `times` for its children). */
  cpuMs: number;
}

/** `aws s3 cp <file> <s3Url> --endpoint-url <endpoint>`, timed. */
export async function timeAwsCopy(file: string, s3Url: string, endpoint: string): Promise<AwsTiming> {
  return timeAws(['s3', 'cp', file, s3Url, '--endpoint-url', endpoint, '--only-show-errors']);
}

/** `aws --version`: the CLI's start-up cost alone, for context. */
export async function timeAwsStartup(): Promise<AwsTiming> {
  return timeAws(['--version']);
}

/**
 * Runs the CLI under bash, whose `times` then prints its children's user and system CPU on the
 * second line (`0m4.512s 0m0.733s`); bash itself adds ~2 ms to the wall clock.
 */
const TIMED_AWS = `"$@" >/dev/null || exit $?; times >&3`;

async function timeAws(args: string[]): Promise<AwsTiming> {
  const startedAt = performance.now();
  const child = spawn('bash', ['-c', TIMED_AWS, 'aws', AWS_CLI, ...args], {
    env: { ...process.env, ...AWS_ENV },
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let times = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
    times += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const ms = performance.now() - startedAt;
  if (code !== 0) throw new Error(`aws ${args.join(' ')} exited with ${String(code)}: ${stderr.trim()}`);
  return { ms, cpuMs: parseChildrenTimes(times) };
}

/** The children's line of bash's `times`: `XmY.YYYs XmY.YYYs` (user, system). */
function parseChildrenTimes(text: string): number {
  const line = text.trim().split('\n')[1] ?? '';
  const spans = [...line.matchAll(/(\d+)m([\d.]+)s/g)];
  if (spans.length !== 2) throw new Error(`unexpected output of bash's times: ${JSON.stringify(text)}`);
  return spans.reduce((total, [, minutes, seconds]) => total + (Number(minutes) * 60 + Number(seconds)) * 1000, 0);
}
