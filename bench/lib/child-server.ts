// Starts a server as a child process (so its memory and CPU are its own), waits until a URL
// answers 200, and stops it by its pid. Used for Squidship and for the bare Fastify ceiling.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';

export interface ChildServer {
  pid: number;
  /** The last lines the child wrote, for error messages. */
  recentOutput(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; answers the exit code (null if killed by a signal). */
  stop(graceMs?: number): Promise<number | null>;
}

export interface StartChildServerOptions {
  label: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Polled until it answers 200. */
  readyUrl: string;
  readyTimeoutMs?: number;
  /** Copy the child's stderr lines to ours (prefixed with the label). */
  echoStderr?: boolean;
}

const KEPT_LINES = 40;

export async function startChildServer(options: StartChildServerOptions): Promise<ChildServer> {
  const child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
      if (stream === 'stderr' && options.echoStderr !== false) process.stderr.write(`[${options.label}] ${line}\n`);
    }
  };
  child.stdout?.on('data', keep('stdout'));
  child.stderr?.on('data', keep('stderr'));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const server: ChildServer = {
    pid: child.pid ?? 0,
    recentOutput: () => lines.join('\n'),
    stop: (graceMs = 15_000) => stopChild(child, exited, graceMs),
  };
  try {
    await waitUntilReady(options.readyUrl, exited, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await server.stop(2000);
    throw new Error(`${options.label} did not start: ${(error as Error).message}\n${server.recentOutput()}`, { cause: error });
  }
  return server;
}

async function waitUntilReady(url: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`it exited with code ${String(exitCode)}`);
    const status = await fetch(url).then((response) => response.status, () => 0);
    if (status === 200) return;
    await delay(50);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, graceMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
