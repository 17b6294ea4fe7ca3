// Progress of a push, on stderr: a single line redrawn in place on a terminal, plain lines
// (one per request and a summary) otherwise, so logs and CI output stay readable. When the
// file's size is known, the terminal line starts with a bar, the percent of the file read and
// an ETA.
import type { CliOutput } from '../cli-context.js';

const MIB = 1024 * 1024;
/** Redrawing more often than this only costs CPU; the eye cannot follow it. */
const REDRAW_INTERVAL_MS = 200;
const BAR_WIDTH = 20;

/** The file being pushed: its size and how much of it has been read so far. */
export interface PushSource {
  sizeBytes: number;
  readBytes(): number;
}

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

export function createPushProgress(out: CliOutput, now: () => number = Date.now, source: PushSource | null = null): PushProgress {
  const startedAt = now();
  const redraw = out.isTTY === true;
  let lastDrawAt = 0;
  let lineOnScreen = false;

  const rates = (totals: PushTotals): string => {
    const seconds = Math.max((now() - startedAt) / 1000, 0.001);
    return `${formatCount(totals.rows / seconds)} rows/s, ${(totals.bytes / MIB / seconds).toFixed(2)} MiB/s`;
  };
  const fraction = (): string => (source === null ? '' : renderFraction(source, now() - startedAt));
  const draw = (totals: PushTotals): void => {
    const bar = source === null ? '' : `${renderBar(source)} `;
    out.write(`\r\x1b[K${bar}${fraction()}${formatCount(totals.rows)} rows, ${formatMib(totals.bytes)}, ${rates(totals)}`);
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

function readFraction(source: PushSource): number {
  return source.sizeBytes === 0 ? 1 : Math.min(source.readBytes() / source.sizeBytes, 1);
}

/** `[#########-----------]`: the share of the file read. */
export function renderBar(source: PushSource): string {
  const filled = Math.round(readFraction(source) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}

/** `42%, ETA 1m05s, `: the rest at the pace so far; no ETA before the first byte. */
export function renderFraction(source: PushSource, elapsedMs: number): string {
  const done = readFraction(source);
  const percent = `${Math.floor(done * 100)}%`;
  if (done === 0 || done === 1) return `${percent}, `;
  return `${percent}, ETA ${formatDuration((elapsedMs * (1 - done)) / done)}, `;
}

export function formatDuration(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
