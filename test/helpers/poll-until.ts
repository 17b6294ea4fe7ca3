// Polls a condition until it holds or a deadline passes: how tests wait for work done on another
// thread, in another process or behind a socket, never with a fixed sleep.

export interface PollOptions {
  timeoutMs: number;
  /** Pause between checks. Default 20 ms. */
  intervalMs?: number;
  /** Says what was awaited, in the timeout error; a function is called only on timeout. */
  what: string | (() => string);
}

/**
 * Calls `check` until it returns something other than undefined/false, and returns that.
 * A check that throws is retried; its last error is reported on timeout.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined | false> | T | undefined | false, options: PollOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastProblem = 'the condition never held';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      const what = typeof options.what === 'function' ? options.what() : options.what;
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}: ${lastProblem}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}
