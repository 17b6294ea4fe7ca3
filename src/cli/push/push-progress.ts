// Progress of a push, on stderr: a single line redrawn in place on a terminal, plain lines
// (one per request and a summary) otherwise, so logs and CI output stay readable.
import type { CliOutput } from '../cli-context.js';

const MIB = 1024 * 1024;
/** Redrawing more often than this only costs CPU; the eye cannot follow it. */
const REDRAW_INTERVAL_MS = 200;

export interface PushTotals {
  rows: number;
  bytes: number;
  requests: number;
}

export interface PushProgress {
  /** Rows and bytes handed to the request in flight so far (counted since the push began). */
  update(totals: PushTotals): void;
  requestDone(totals: PushTotals, requestRows: number, requestBytes: number): void;
  finish(totals: PushTotals, runId: string, completed: boolean): void;
  /** Ends a redrawn line before an error is printed under it. */
  interrupt(): void;
}

export function createPushProgress(out: CliOutput, now: () => number = Date.now): PushProgress {
  const startedAt = now();
  const redraw = out.isTTY === true;
  let lastDrawAt = 0;
  let lineOnScreen = false;

  const rates = (totals: PushTotals): string => {
    const seconds = Math.max((now() - startedAt) / 1000, 0.001);
    return `${formatCount(totals.rows / seconds)} rows/s, ${(totals.bytes / MIB / seconds).toFixed(2)} MiB/s`;
  };
  const draw = (totals: PushTotals): void => {
    out.write(`\r\x1b[K${formatCount(totals.rows)} rows, ${formatMib(totals.bytes)}, ${rates(totals)}`);
    lineOnScreen = true;
    lastDrawAt = now();
  };
  const endLine = (): void => {
    if (lineOnScreen) out.write('\n');
    lineOnScreen = false;
  };

  return {
    update(totals) {
      if (redraw && now() - lastDrawAt >= REDRAW_INTERVAL_MS) draw(totals);
    },
    requestDone(totals, requestRows, requestBytes) {
      if (redraw) {
        draw(totals);
        return;
      }
      out.write(
        `squidship: request ${totals.requests} sent ${formatCount(requestRows)} rows (${formatMib(requestBytes)}); ` +
          `total ${formatCount(totals.rows)} rows, ${formatMib(totals.bytes)}, ${rates(totals)}\n`,
      );
    },
    finish(totals, runId, completed) {
      if (redraw) draw(totals);
      endLine();
      const seconds = ((now() - startedAt) / 1000).toFixed(1);
      const requests = `${totals.requests} request${totals.requests === 1 ? '' : 's'}`;
      out.write(
        `squidship: pushed ${formatCount(totals.rows)} rows (${formatMib(totals.bytes)}) into run ${runId} ` +
          `in ${requests}, ${seconds} s (${rates(totals)})${completed ? '; run completed' : ''}\n`,
      );
    },
    interrupt: endLine,
  };
}

function formatCount(value: number): string {
  return Math.round(value).toString();
}

function formatMib(bytes: number): string {
  return `${(bytes / MIB).toFixed(2)} MiB`;
}
