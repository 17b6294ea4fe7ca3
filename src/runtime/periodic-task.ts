// A piece of housekeeping run at once and then every interval, never two runs at a time (a run
// slower than the interval delays the next one instead of stacking), stopped by waiting for the
// run in flight. A failed run is logged and the next interval tries again.
import type { Logger } from 'pino';

export interface PeriodicTask {
  /** No more runs; resolves once the run in flight has ended. Safe to call twice. */
  stop(): Promise<void>;
}

export function startPeriodicTask(input: { name: string; intervalMs: number; logger: Logger; run: () => Promise<void> }): PeriodicTask {
  let current: Promise<void> = Promise.resolve();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const runOnce = (): Promise<void> => {
    current = current.then(async () => {
      if (stopped) return;
      try {
        await input.run();
      } catch (error) {
        input.logger.error({ event: `${input.name}.failed`, err: error }, `${input.name}.failed`);
      }
    });
    return current;
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => void runOnce().then(schedule), input.intervalMs);
    // Housekeeping alone must not keep the process alive.
    timer.unref();
  };
  void runOnce().then(schedule);
  return {
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      await current;
    },
  };
}
