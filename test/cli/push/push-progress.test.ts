import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliOutput } from '../../../src/cli/cli-context.js';
import { createPushProgress, formatDuration, type PushSource } from '../../../src/cli/push/push-progress.js';

const MIB = 1024 * 1024;

function captureOutput(isTTY: boolean): { out: CliOutput; text: () => string } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return { out: Object.assign(stream, { isTTY }), text: () => chunks.join('') };
}

describe('createPushProgress', () => {
  it('redraws one line in place on a terminal, at most every 200 ms, then ends it with the summary', () => {
    let nowMs = 0;
    const { out, text } = captureOutput(true);
    const progress = createPushProgress(out, () => nowMs);
    nowMs = 1000;
    progress.update({ rows: 1000, bytes: 2 * MIB, requests: 0 });
    nowMs = 1100;
    progress.update({ rows: 1500, bytes: 3 * MIB, requests: 0 });
    nowMs = 2000;
    progress.requestDone({ rows: 2000, bytes: 4 * MIB, requests: 1 }, 2000, 4 * MIB);
    progress.finish({ rows: 2000, bytes: 4 * MIB, requests: 1 }, 'abc', true);
    expect(text()).toBe(
      '\r\x1b[K1000 rows, 2.00 MiB, 1000 rows/s, 2.00 MiB/s' +
        '\r\x1b[K2000 rows, 4.00 MiB, 1000 rows/s, 2.00 MiB/s' +
        '\r\x1b[K2000 rows, 4.00 MiB, 1000 rows/s, 2.00 MiB/s\n' +
        'squidship: pushed 2000 rows (4.00 MiB) into run abc in 1 request, 2.0 s (1000 rows/s, 2.00 MiB/s); run completed\n',
    );
  });

  it('writes plain lines, one per request and a summary, when not on a terminal', () => {
    let nowMs = 0;
    const { out, text } = captureOutput(false);
    const progress = createPushProgress(out, () => nowMs);
    nowMs = 500;
    progress.update({ rows: 10, bytes: MIB, requests: 0 });
    nowMs = 1000;
    progress.requestDone({ rows: 100, bytes: MIB, requests: 1 }, 100, MIB);
    nowMs = 4000;
    progress.requestDone({ rows: 400, bytes: 4 * MIB, requests: 2 }, 300, 3 * MIB);
    progress.finish({ rows: 400, bytes: 4 * MIB, requests: 2 }, 'abc', false);
    expect(text().split('\n')).toEqual([
      'squidship: request 1 sent 100 rows (1.00 MiB); total 100 rows, 1.00 MiB, 100 rows/s, 1.00 MiB/s',
      'squidship: request 2 sent 300 rows (3.00 MiB); total 400 rows, 4.00 MiB, 100 rows/s, 1.00 MiB/s',
      'squidship: pushed 400 rows (4.00 MiB) into run abc in 2 requests, 4.0 s (100 rows/s, 1.00 MiB/s)',
      '',
    ]);
  });

  it('starts the line with a bar, the percent of the file read and an ETA when the size is known', () => {
    let nowMs = 0;
    let readBytes = 0;
    const source: PushSource = { sizeBytes: 8 * MIB, readBytes: () => readBytes };
    const { out, text } = captureOutput(true);
    const progress = createPushProgress(out, () => nowMs, source);
    nowMs = 1000;
    readBytes = 2 * MIB;
    progress.update({ rows: 1000, bytes: 2 * MIB, requests: 0 });
    nowMs = 2000;
    readBytes = 8 * MIB;
    progress.requestDone({ rows: 4000, bytes: 8 * MIB, requests: 1 }, 4000, 8 * MIB);
    progress.finish({ rows: 4000, bytes: 8 * MIB, requests: 1 }, 'abc', false);
    expect(text()).toBe(
      '\r\x1b[K[#####---------------] 25%, ETA 3s, 1000 rows, 2.00 MiB, 1000 rows/s, 2.00 MiB/s' +
        '\r\x1b[K[####################] 100%, 4000 rows, 8.00 MiB, 2000 rows/s, 4.00 MiB/s' +
        '\r\x1b[K[####################] 100%, 4000 rows, 8.00 MiB, 2000 rows/s, 4.00 MiB/s\n' +
        'squidship: pushed 4000 rows (8.00 MiB) into run abc in 1 request, 2.0 s (2000 rows/s, 4.00 MiB/s)\n',
    );
  });

  it('formats durations as seconds, minutes and hours', () => {
    expect([formatDuration(400), formatDuration(59_000), formatDuration(65_000), formatDuration(3_725_000)]).toEqual(['1s', '59s', '1m05s', '1h02m']);
  });
});
