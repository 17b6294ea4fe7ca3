// Squidship as a real child process (`node --import tsx src/cli/main.ts serve --role X`), for
// tests that kill, restart and scale out whole processes. The child gets only the SQUIDSHIP_*
// variables the test gives it (never the developer's), its stdout is kept line by line (pino
// writes one JSON object per line), and every child still alive is SIGKILLed by
// killAllSquidshipProcesses() (call it in afterEach) and when the test process exits.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pollUntil } from './poll-until.js';

export type SquidshipRole = 'all' | 'api' | 'worker';

export interface SquidshipProcessOptions {
  role: SquidshipRole;
  /** SQUIDSHIP_* settings; they override the defaults below (loopback, port 0, info logs, no embedded S3). */
  env: Record<string, string>;
  /** Names the process in failure messages. Default: the role. */
  name?: string;
  /** How long start-up (tsx compile, migrations, listen) may take. */
  startTimeoutMs?: number;
}

/** One stdout line: its text, and the object when it is a JSON log line. */
export interface OutputLine {
  text: string;
  json: Record<string, unknown> | null;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SquidshipProcess {
  readonly name: string;
  readonly role: SquidshipRole;
  /** The API's base URL; null for a worker. */
  readonly url: string | null;
  readonly pid: number;
  /** Every stdout line so far. */
  readonly lines: readonly OutputLine[];
  /** The last stderr text (kept short), for failure messages. */
  stderrTail(): string;
  /** Lines whose log message (pino `msg`) or `event` field equals `event`. */
  logEvents(event: string): OutputLine[];
  /** Resolves with the first line (already printed or still to come) matching `predicate`. */
  waitForLine(predicate: (line: OutputLine) => boolean, timeoutMs: number): Promise<OutputLine>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves when the process has exited; rejects after `timeoutMs`. */
  waitForExit(timeoutMs?: number): Promise<ExitStatus>;
  readonly exitStatus: ExitStatus | null;
}

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEFAULT_START_TIMEOUT_MS = 60_000;
const STDERR_TAIL_CHARS = 4000;

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function startSquidshipProcess(options: SquidshipProcessOptions): Promise<SquidshipProcess> {
  const name = options.name ?? options.role;
  const env = buildChildEnv({
    SQUIDSHIP_HOST: '127.0.0.1',
    // Port 0: the OS picks a free port when the server listens (no race with other tests), and
    // the process logs its real URL in `server.started`.
    SQUIDSHIP_PORT: '0',
    SQUIDSHIP_LOG_LEVEL: 'info',
    SQUIDSHIP_EMBEDDED_S3: 'false',
    ...options.env,
  });
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--role', options.role], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const handle = createHandle(name, options.role, child);
  try {
    const started = await handle.waitForLine(
      (line) => line.json?.event === 'server.started',
      options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
    );
    if (options.role !== 'worker') {
      const url = started.json?.url;
      if (typeof url !== 'string') throw new Error(`${name}: server.started carries no url: ${started.text}`);
      handle.setUrl(url);
      await waitForReady(url, handle, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    }
  } catch (error) {
    child.kill('SIGKILL');
    await handle.waitForExit(10_000).catch(() => undefined);
    throw error;
  }
  return handle;
}

/** SIGKILLs every child still running and waits for each to be gone. */
export async function killAllSquidshipProcesses(): Promise<void> {
  const children = [...live];
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await exited;
      }
      live.delete(child);
    }),
  );
}

/** The parent's environment without any SQUIDSHIP_* variable or loader options, plus `settings`. */
function buildChildEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('SQUIDSHIP_') || key === 'NODE_OPTIONS' || key.startsWith('VITEST')) continue;
    env[key] = value;
  }
  return { ...env, ...settings };
}

async function waitForReady(url: string, handle: SquidshipProcess, timeoutMs: number): Promise<void> {
  const answer = await pollUntil(
    async () => {
      if (handle.exitStatus !== null) return 'exited';
      const response = await fetch(`${url}/readyz`);
      if (response.ok) return 'ready';
      throw new Error(`HTTP ${response.status}: ${await response.text()}`);
    },
    { timeoutMs, intervalMs: 100, what: () => `${handle.name}: ${url}/readyz to answer 200; stderr: ${handle.stderrTail()}` },
  );
  if (answer === 'exited') throw new Error(`${handle.name} exited before ${url}/readyz answered 200; stderr: ${handle.stderrTail()}`);
}

function createHandle(name: string, role: SquidshipRole, child: ChildProcess): SquidshipProcess & { setUrl(url: string): void } {
  const lines: OutputLine[] = [];
  const waiters = new Set<(line: OutputLine) => void>();
  let stderr = '';
  let url: string | null = null;
  let exitStatus: ExitStatus | null = null;
  // 'close', not 'exit': it comes after stdout is read to the end, so `lines` is complete.
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('close', (code, signal) => {
      exitStatus = { code, signal };
      live.delete(child);
      resolve(exitStatus);
    });
  });

  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = { text, json: parseJsonLine(text) };
    lines.push(line);
    for (const waiter of waiters) waiter(line);
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
  });

  const handle = {
    name,
    role,
    get url() {
      return url;
    },
    pid: child.pid ?? -1,
    lines,
    get exitStatus() {
      return exitStatus;
    },
    setUrl(value: string) {
      url = value;
    },
    stderrTail: () => stderr,
    logEvents: (event: string) => lines.filter((line) => line.json?.msg === event || line.json?.event === event),
    kill(signal: NodeJS.Signals) {
      child.kill(signal);
    },
    waitForExit(timeoutMs = 30_000): Promise<ExitStatus> {
      return withTimeout(exited, timeoutMs, () => `${name} (pid ${child.pid}) did not exit within ${timeoutMs} ms`);
    },
    waitForLine(predicate: (line: OutputLine) => boolean, timeoutMs: number): Promise<OutputLine> {
      const seen = lines.find(predicate);
      if (seen) return Promise.resolve(seen);
      let waiter: (line: OutputLine) => void = () => undefined;
      const found = new Promise<OutputLine>((resolve, reject) => {
        waiter = (line) => {
          if (predicate(line)) resolve(line);
        };
        waiters.add(waiter);
        void exited.then((status) =>
          reject(new Error(`${name} exited (${JSON.stringify(status)}) before the awaited line; stderr: ${stderr}`)),
        );
      });
      return withTimeout(found, timeoutMs, () => `${name}: the awaited line did not come within ${timeoutMs} ms; stderr: ${stderr}`)
        .finally(() => waiters.delete(waiter));
    },
  };
  return handle;
}

function parseJsonLine(text: string): Record<string, unknown> | null {
  if (!text.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    // Not every stdout line is a log line (the start-up banner is plain text).
    return null;
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** What every process of one test shares: an API token valid on the default account, and the AES key. */
export interface SharedSecrets {
  token: string;
  env: { SQUIDSHIP_BOOTSTRAP_TOKEN: string; SQUIDSHIP_SECRET_KEY: string };
}

export function createSharedSecrets(): SharedSecrets {
  const token = `test_${randomBytes(20).toString('hex')}`;
  return { token, env: { SQUIDSHIP_BOOTSTRAP_TOKEN: token, SQUIDSHIP_SECRET_KEY: randomBytes(32).toString('hex') } };
}
