// The reference uploader: the official aws CLI copying a file to the same S3 endpoint.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const AWS_CLI = '/usr/bin/aws';

export function isAwsCliInstalled(): boolean {
  return existsSync(AWS_CLI);
}

/** s3rver accepts any signature; these are its documented default credentials. */
const AWS_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_DEFAULT_REGION: 'us-east-1' };

/** Wall-clock milliseconds of `aws s3 cp <file> <s3Url> --endpoint-url <endpoint>`, CLI start-up included. */
export async function timeAwsCopy(file: string, s3Url: string, endpoint: string): Promise<number> {
  return timeAws(['s3', 'cp', file, s3Url, '--endpoint-url', endpoint, '--only-show-errors']);
}

/** Wall-clock milliseconds of `aws --version`: the CLI's start-up cost alone, for context. */
export async function timeAwsStartup(): Promise<number> {
  return timeAws(['--version']);
}

async function timeAws(args: string[]): Promise<number> {
  const startedAt = performance.now();
  const child = spawn(AWS_CLI, args, { env: { ...process.env, ...AWS_ENV }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`aws ${args.join(' ')} exited with ${String(code)}: ${stderr.trim()}`);
  return performance.now() - startedAt;
}
