// Micro-benchmark of the CSV hot path: `npx tsx bench/csv-encode.ts [rows]`.
// Prints rows/s and MiB/s for: encoding parsed rows; JSON text -> CSV through JSON.parse only;
// JSON text -> CSV through the string transcoder (JSON.parse for the rows it declines); and
// JSON text -> CSV bytes as createRunCsvStream does it (the byte path, then the string
// transcoder, then JSON.parse), each including the UTF-8 conversion into chunks. Rates are per second
// of process CPU time (best of 5), so a busy machine skews them less than wall time would.
import { createCsvEncoder } from '../src/export/csv-encoder.js';
import { createCsvRecordBuffer } from '../src/export/json-row-bytes.js';
import { createJsonRowTranscoder } from '../src/export/json-row-transcoder.js';
import { createRowGenerator } from './lib/row-generator.js';

const rowCount = Number(process.argv[2] ?? 200_000);
const rounds = 5;
const MIB = 1024 * 1024;

// bench:delivery's rows (about 760 B of NDJSON each).
const generator = createRowGenerator(42);
const texts = Array.from({ length: rowCount }, () => JSON.stringify(generator.next()));
const objects = texts.map((text) => JSON.parse(text) as Record<string, unknown>);
const columns = [...new Set(objects.flatMap((row) => Object.keys(row)))];
const chunkChars = 128 * 1024;

function encodeObjects(): number {
  const encoder = createCsvEncoder(columns, { noLineBreaks: false });
  let bytes = 0;
  let pending = encoder.header();
  for (const row of objects) {
    pending += encoder.row(row);
    if (pending.length >= chunkChars) {
      bytes += Buffer.from(pending, 'utf8').length;
      pending = '';
    }
  }
  return bytes + Buffer.from(pending, 'utf8').length;
}

function encodeTexts(): number {
  const encoder = createCsvEncoder(columns, { noLineBreaks: false });
  let bytes = 0;
  let pending = encoder.header();
  for (const text of texts) {
    pending += encoder.row(JSON.parse(text) as Record<string, unknown>);
    if (pending.length >= chunkChars) {
      bytes += Buffer.from(pending, 'utf8').length;
      pending = '';
    }
  }
  return bytes + Buffer.from(pending, 'utf8').length;
}

function encodeTextsLikeTheStream(): number {
  const encoder = createCsvEncoder(columns, { noLineBreaks: false });
  const transcodeRow = createJsonRowTranscoder(columns, { noLineBreaks: false });
  let bytes = 0;
  let pending = encoder.header();
  for (const text of texts) {
    pending += transcodeRow(text) ?? encoder.row(JSON.parse(text) as Record<string, unknown>);
    if (pending.length >= chunkChars) {
      bytes += Buffer.from(pending, 'utf8').length;
      pending = '';
    }
  }
  return bytes + Buffer.from(pending, 'utf8').length;
}

/** The texts as the store hands them to the export: 1,000 rows per buffer, each row ending in LF. */
const storeBatches: Buffer[] = [];
for (let start = 0; start < texts.length; start += 1000) storeBatches.push(Buffer.from(texts.slice(start, start + 1000).map((text) => `${text}\n`).join(''), 'utf8'));

/** As createRunCsvStream does it: the byte path on the store's buffers, then the string transcoder, then JSON.parse. */
function encodeTextsAsBytes(): number {
  const encoder = createCsvEncoder(columns, { noLineBreaks: false });
  const transcodeRow = createJsonRowTranscoder(columns, { noLineBreaks: false });
  const records = createCsvRecordBuffer(columns, { noLineBreaks: false });
  let bytes = 0;
  records.appendText(encoder.header());
  for (const batch of storeBatches) {
    const buffer = Buffer.from(batch); // the stream owns (and overwrites) the store's buffer
    for (let start = 0; start < buffer.length; ) {
      const end = buffer.indexOf(10, start);
      buffer[end] = 0;
      if (!records.appendJsonRow(buffer, start, end)) {
        const text = buffer.toString('utf8', start, end);
        records.appendText(transcodeRow(text) ?? encoder.row(JSON.parse(text) as Record<string, unknown>));
      }
      start = end + 1;
      if (records.byteLength() >= chunkChars) bytes += records.takeChunk().length;
    }
  }
  return bytes + records.takeChunk().length;
}

function measure(name: string, run: () => number): void {
  run(); // warm-up: let the JIT settle
  let best = Number.POSITIVE_INFINITY;
  let bytes = 0;
  for (let round = 0; round < rounds; round++) {
    const started = process.cpuUsage();
    bytes = run();
    const used = process.cpuUsage(started);
    best = Math.min(best, (used.user + used.system) / 1e6);
  }
  const rowsPerSecond = Math.round(rowCount / best).toLocaleString('en-US');
  const mibPerSecond = (bytes / MIB / best).toFixed(1);
  console.log(`${name}: ${rowsPerSecond} rows/s, ${mibPerSecond} MiB/s (${(bytes / MIB).toFixed(1)} MiB, best of ${rounds})`);
}

console.log(`${rowCount.toLocaleString('en-US')} rows of ${columns.length} fields, Node ${process.version}`);
const declined = texts.filter((text) => createJsonRowTranscoder(columns, { noLineBreaks: false })(text) === null).length;
console.log(`${((declined / rowCount) * 100).toFixed(0)}% of the rows take the JSON.parse path after the string transcoder`);
const records = createCsvRecordBuffer(columns, { noLineBreaks: false });
const declinedBytes = texts.filter((text) => !records.appendJsonRow(Buffer.from(`${text}\0`), 0, Buffer.byteLength(text)) || (records.takeChunk(), false)).length;
console.log(`${((declinedBytes / rowCount) * 100).toFixed(0)}% of the rows leave the byte path`);
measure('encode parsed rows          ', encodeObjects);
measure('JSON text -> CSV, parse all ', encodeTexts);
measure('JSON text -> CSV, strings   ', encodeTextsLikeTheStream);
measure('JSON text -> CSV, as stream ', encodeTextsAsBytes);
