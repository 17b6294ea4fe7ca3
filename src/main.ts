// Composition root: config -> store -> S3 -> worker + HTTP; signals. (Being assembled.)

export type ProcessRole = 'all' | 'api' | 'worker';

export interface StartOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  role: ProcessRole;
  /** Where the start-up banner (token, curl line) is printed. Default process.stdout. */
  out?: NodeJS.WritableStream;
}

export interface RunningSquidship {
  /** The API's base URL, or null for a worker-only process. */
  url: string | null;
  /** Graceful shutdown; safe to call twice. */
  stop(): Promise<void>;
}

export async function startSquidship(_options: StartOptions): Promise<RunningSquidship> {
  throw new Error('startSquidship is not assembled yet');
}
