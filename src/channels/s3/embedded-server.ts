// The embedded S3-compatible endpoint (s3rver) for "try it without AWS" and for tests.
//
// s3rver 3.7.1 must run under `node --openssl-legacy-provider` on Node 20: without it, a
// truncated ListObjectsV2 page (its continuation token uses a legacy cipher) answers 500. That
// flag cannot be turned on inside a running process, so s3rver runs in a child process started
// with it. The script is passed inline (`-e`) so it works the same from tsx and from dist/.
// A child that dies (OOM killer, a crash) is restarted on the same port; until then
// checkHealth() says so, and /readyz answers 503.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { S3RVER_CHILD_SCRIPT } from './s3rver-child-script.js';

export interface EmbeddedS3Options {
  host: string;
  /** 0 picks a free port; the real one is in the returned endpoint. */
  port: number;
  /** Where s3rver keeps buckets and objects. */
  directory: string;
  /** Created at start when missing; existing objects are kept. */
  buckets: string[];
  /** Told when the child dies, is restarted, or fails to restart (for the log). */
  onEvent?: (event: EmbeddedS3Event) => void;
}

export interface EmbeddedS3Event {
  type: 'exited' | 'restarted' | 'restart_failed';
  detail: string;
}

export interface EmbeddedS3 {
  /** `http://host:port`, the endpoint for the SDK and `aws --endpoint-url`. */
  endpoint: string;
  /** Stops the server and its process; safe to call twice. */
  stop(): Promise<void>;
  /** Why the endpoint does not serve now, or null when it does. */
  checkHealth(): string | null;
}

/** How long the child may take to bind before start fails (it loads koa and friends). */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
/** Restart delays double from the first to the last (a port taken meanwhile, a crash loop). */
const RESTART_FIRST_DELAY_MS = 200;
const RESTART_MAX_DELAY_MS = 10_000;

export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3> {
  await mkdir(options.directory, { recursive: true });
  const require = createRequire(import.meta.url);
  // Resolved here, where node_modules is known; the child runs from an inline script.
  const modulePath = require.resolve('s3rver');
  const childOptions = {
    modulePath,
    host: options.host,
    port: options.port,
    directory: options.directory,
    buckets: options.buckets,
  };
  // NODE_OPTIONS is dropped so a test runner's loaders (tsx, vitest) are not loaded into s3rver.
  const { NODE_OPTIONS: _dropped, ...env } = process.env;
  const spawnChild = (port: number): ChildProcess => {
    const args = ['--openssl-legacy-provider', '-e', S3RVER_CHILD_SCRIPT, JSON.stringify({ ...childOptions, port })];
    return spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  };
  let child = spawnChild(options.port);
  // A restart binds the port the first child got, so the endpoint never changes.
  const port = await waitForListening(child);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const supervisor = superviseChild(child, (next) => (child = next), () => spawnChild(port), options.onEvent);
  let stopping: Promise<void> | null = null;
  return {
    endpoint: `http://${formatHost(options.host)}:${port}`,
    stop() {
      stopping ??= (async () => {
        supervisor.stop();
        await stopChild(child);
      })().finally(() => process.removeListener('exit', killOnExit));
      return stopping;
    },
    checkHealth: () => (supervisor.isUp() ? null : 'the embedded S3 endpoint died and is restarting'),
  };
}

/** Restarts a child that exits on its own, with doubling delays, until stop(). */
function superviseChild(
  first: ChildProcess,
  replace: (next: ChildProcess) => void,
  respawn: () => ChildProcess,
  onEvent: EmbeddedS3Options['onEvent'],
): { isUp(): boolean; stop(): void } {
  let up = true;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const watch = (current: ChildProcess): void => {
    current.once('exit', (code, signal) => {
      if (stopped) return;
      up = false;
      onEvent?.({ type: 'exited', detail: `exit code ${String(code)}, signal ${String(signal)}` });
      schedule(0);
    });
  };
  const schedule = (failures: number): void => {
    timer = setTimeout(() => void restart(failures), Math.min(RESTART_MAX_DELAY_MS, RESTART_FIRST_DELAY_MS * 2 ** failures));
  };
  const restart = async (failures: number): Promise<void> => {
    timer = null;
    if (stopped) return;
    const next = respawn();
    replace(next);
    try {
      await waitForListening(next);
    } catch (error) {
      onEvent?.({ type: 'restart_failed', detail: error instanceof Error ? error.message : String(error) });
      if (!stopped) schedule(failures + 1);
      return;
    }
    // stop() during the restart stops `next` itself (it was already the current child).
    if (stopped) return;
    up = true;
    watch(next);
    onEvent?.({ type: 'restarted', detail: `after ${failures + 1} attempt(s)` });
  };
  watch(first);
  return {
    isUp: () => up,
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    },
  };
}

function waitForListening(child: ChildProcess): Promise<number> {
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 4000) stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`embedded S3 server did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.on('message', (message: unknown) => {
      if (isListeningMessage(message)) {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`embedded S3 server exited (code ${String(code)}) before listening: ${stderr.trim()}`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function isListeningMessage(message: unknown): message is { type: 'listening'; port: number } {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'listening';
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send('stop');
  else child.kill('SIGTERM');
  // A child that does not close its server in time is killed: stop() must end.
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
