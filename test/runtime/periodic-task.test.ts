// The housekeeping loop the cleanup sweeps run on: again every interval, never two runs
// at a time, a failure logged and the next run still made, and stop() waits for the run in flight.
import pino from 'pino';
import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { startPeriodicTask } from '../../src/runtime/periodic-task.js';
import { pollUntil } from '../helpers/poll-until.js';

function captureLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

it('runs again and again, one run at a time, past a failure, and stop waits for the run in flight', async () => {
  const { logger, lines } = captureLogs();
  let running = 0;
  let overlapped = false;
  let runs = 0;
  let releaseLast: (() => void) | null = null;
  const task = startPeriodicTask({
    name: 'test.sweep',
    intervalMs: 5,
    logger,
    async run() {
      runs += 1;
      running += 1;
      overlapped ||= running > 1;
      try {
        if (runs === 2) throw new Error('the database is busy');
        // Each run outlasts the interval: the next one must wait, not stack.
        await new Promise<void>((resolve) => {
          releaseLast = resolve;
          setTimeout(resolve, 20);
        });
      } finally {
        running -= 1;
      }
    },
  });
  await pollUntil(() => runs >= 4 && running === 1, { timeoutMs: 5000, intervalMs: 1, what: 'a fourth run in flight' });
  const stopping = task.stop();
  let stopped = false;
  void stopping.then(() => (stopped = true));
  await Promise.resolve();
  expect(stopped, 'stop waits for the run in flight').toBe(false);
  (releaseLast as (() => void) | null)?.();
  await stopping;
  const runsAtStop = runs;
  // Six intervals without a run: the timer is gone (nothing to poll for when nothing may happen).
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(runs, 'no run after stop').toBe(runsAtStop);
  expect(overlapped).toBe(false);
  expect(lines.filter((line) => line.event === 'test.sweep.failed').map((line) => (line.err as { message: string }).message)).toEqual(['the database is busy']);
});
