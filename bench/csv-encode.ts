// Micro-benchmark of the CSV hot path: `npx tsx bench/csv-encode.ts [rows] [rounds]`.
// Prints ns/row and MiB/s (of CSV out) for: encoding parsed rows; JSON text -> CSV through
// JSON.parse only; JSON text -> CSV through the plain encoder (the row parsed with its number
// literals, as for the rows the byte paths decline); and store batches -> CSV bytes as createRunCsvStream does it (createCsvBatchEncoder),
// with the native path (when built: `node-gyp rebuild`) and with the JS paths alone, for the
// rows as JSON.stringify writes them and as Python's json.dumps does. Each
// includes the UTF-8 conversion into chunks. Times are process CPU time, so a busy machine
// skews them less than wall time would; the contenders' rounds alternate, and each line gives
// the best, the median and the worst round.
import { createCsvBatchEncoder } from '../src/export/formats/csv/csv-batch-encoder.js';
import { createCsvEncoder } from '../src/export/formats/csv/csv-encoder.js';
import { parseJsonBytes } from '../src/json/json-literal-value.js';
import { createNativeCsvRecords, getCsvAddonLoadError, loadCsvAddon, type NativeCsvRecords } from '../src/export/formats/csv/native-csv-records.js';
import { createRowGenerator } from './lib/row-generator.js';

const rowCount = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 7);
const MIB = 1024 * 1024;

// bench:delivery's rows (about 760 B of NDJSON each).
const generator = createRowGenerator(42);
const texts = Array.from({ length: rowCount }, () => JSON.stringify(generator.next()));
const columns = [...new Set(texts.flatMap((text) => Object.keys(JSON.parse(text) as object)))];
/** Parsed only for their measurement, after the batches': a heap full of them would slow every GC in theirs. */
let objects: Array<Record<string, unknown>> = [];
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

function encodeTextsPlain(): number {
  const encoder = createCsvEncoder(columns, { noLineBreaks: false });
  let bytes = 0;
  let pending = encoder.header();
  for (const text of texts) {
    const row = Buffer.from(text, 'utf8');
    pending += encoder.row(parseJsonBytes(row, 0, row.length) as Record<string, unknown>);
    if (pending.length >= chunkChars) {
      bytes += Buffer.from(pending, 'utf8').length;
      pending = '';
    }
  }
  return bytes + Buffer.from(pending, 'utf8').length;
}

/** The texts as the store hands them to the export: 1,000 rows per buffer, each row ending in LF. */
function toStoreBatches(rows: readonly string[]): Buffer[] {
  const batches: Buffer[] = [];
  for (let start = 0; start < rows.length; start += 1000) batches.push(Buffer.from(rows.slice(start, start + 1000).map((text) => `${text}\n`).join(''), 'utf8'));
  return batches;
}

/** JSON as Python's json.dumps writes it by default (`, ` and `: `, non-ASCII as \\u escapes), which many scrapers send. */
function writePythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(writePythonJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') return `{${Object.entries(value).map(([key, item]) => `${writePythonJson(key)}: ${writePythonJson(item)}`).join(', ')}}`;
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The encoder owns (and overwrites) the store's buffers: each round gets copies, made before it is timed. */
let batchCopies: Buffer[] = [];

/** As createRunCsvStream does it, one chunk per store batch. */
function encodeBatches(native: boolean): number {
  const encoder = createCsvBatchEncoder(columns, { noLineBreaks: false, runId: 'bench', native });
  let bytes = encoder.header().length;
  for (const batch of batchCopies) bytes += encoder.encodeBatch(batch).length;
  return bytes;
}

/** How many rows of `batches` the native path declines (hands to the JS paths). */
function countNativeDeclines(native: NativeCsvRecords, batches: readonly Buffer[]): number {
  let declinedRows = 0;
  for (const batch of batches) {
    const own = Buffer.from(batch);
    for (let start = 0; start < own.length; ) {
      const stop = native.appendRows(own, start);
      if (stop.declinedStart === -1) break;
      declinedRows++;
      start = stop.declinedEnd + 1;
    }
    native.takeChunk();
  }
  return declinedRows;
}

/** Store batches to CSV with the JS paths and with the native path (when built), rounds alternating. */
function measureBatches(label: string, batches: readonly Buffer[]): void {
  const copyBatches = (): void => {
    batchCopies = batches.map((batch) => Buffer.from(batch));
  };
  const native = createNativeCsvRecords(columns, { noLineBreaks: false });
  if (native !== null) {
    const declinedRows = countNativeDeclines(native, batches);
    console.log(`${label}: the native path declines ${declinedRows} of ${rowCount} rows (${((declinedRows / rowCount) * 100).toFixed(3)}%)`);
  }
  const contenders = [contender(`${label} -> CSV, JS paths`, () => encodeBatches(false), copyBatches)];
  if (native !== null) contenders.push(contender(`${label} -> CSV, native path`, () => encodeBatches(true), copyBatches));
  measure(contenders);
  batchCopies = [];
}

interface Contender {
  name: string;
  /** Untimed, before each round. */
  prepare: () => void;
  run: () => number;
  seconds: number[];
  bytes: number;
}

/** Times the contenders' rounds alternately (A B A B ...), after a warm-up round each. */
function measure(contenders: Contender[]): void {
  for (const contender of contenders) {
    contender.prepare();
    contender.run();
  }
  for (let round = 0; round < rounds; round++) {
    for (const contender of contenders) {
      contender.prepare();
      const started = process.cpuUsage();
      contender.bytes = contender.run();
      const used = process.cpuUsage(started);
      contender.seconds.push((used.user + used.system) / 1e6);
    }
  }
  for (const { name, seconds, bytes } of contenders) {
    const sorted = [...seconds].sort((a, b) => a - b);
    const nsPerRow = (s: number): string => ((s * 1e9) / rowCount).toFixed(0);
    const mibPerSecond = (s: number): string => (bytes / MIB / s).toFixed(0);
    const [best, median, worst] = [sorted[0]!, sorted[Math.floor(sorted.length / 2)]!, sorted.at(-1)!];
    console.log(
      `${name.padEnd(42)} ${nsPerRow(best).padStart(5)} ns/row (median ${nsPerRow(median)}, worst ${nsPerRow(worst)}), ` +
        `${mibPerSecond(best)} MiB/s (median ${mibPerSecond(median)}, worst ${mibPerSecond(worst)}), ${(bytes / MIB).toFixed(1)} MiB`,
    );
  }
}

const contender = (name: string, run: () => number, prepare = (): void => undefined): Contender => ({ name, prepare, run, seconds: [], bytes: 0 });

console.log(`${rowCount.toLocaleString('en-US')} rows of ${columns.length} fields, Node ${process.version}, ${rounds} rounds each`);
if (loadCsvAddon() === null) {
  const error = getCsvAddonLoadError();
  console.log(`native path: ${error === null ? 'not built (node-gyp rebuild)' : `did not load: ${error.message}`}`);
}
measureBatches('store batches', toStoreBatches(texts));
measureBatches('Python-style batches', toStoreBatches(texts.map((text) => writePythonJson(JSON.parse(text)))));
objects = texts.map((text) => JSON.parse(text) as Record<string, unknown>);
measure([contender('encode parsed rows', encodeObjects), contender('JSON text -> CSV, parse all', encodeTexts), contender('JSON text -> CSV, plain encoder', encodeTextsPlain)]);
