// Micro-benchmark of the CSV hot path: `npx tsx bench/csv-encode.ts [rows]`.
// Prints rows/s and MiB/s for: encoding parsed rows; JSON text -> CSV through JSON.parse only;
// JSON text -> CSV through the string transcoder (JSON.parse for the rows it declines); and
// JSON text -> CSV bytes as createRunCsvStream does it (the byte path, then the string
// transcoder, then JSON.parse), each including the UTF-8 conversion into chunks. Rates are per second
// of process CPU time (best of 5), so a busy machine skews them less than wall time would.
import { createCsvEncoder } from '../src/export/csv-encoder.js';
import { createCsvRecordBuffer } from '../src/export/json-row-bytes.js';
import { createJsonRowTranscoder } from '../src/export/json-row-transcoder.js';

const rowCount = Number(process.argv[2] ?? 200_000);
const rounds = 5;
const MIB = 1024 * 1024;

function realisticRow(i: number): Record<string, unknown> {
  return {
    url: `https://shop.example.com/products/${i}?ref=listing&page=${i % 50}`,
    title: i % 10 === 0 ? `Bottle ${i}, "Classic" 750 ml` : `Product ${i} - Stainless steel water bottle 750 ml`,
    price: Math.round((19.99 + (i % 100)) * 100) / 100,
    currency: 'EUR',
    in_stock: i % 3 !== 0,
    rating: (i % 50) / 10,
    reviews: i * 7,
    seller: `Seller ${i % 17}`,
    category: 'Home & Kitchen',
    description: i % 4 === 0 ? `A durable bottle.\nKeeps drinks cold for 24 hours. Item ${i}.` : `Keeps drinks cold for 24 hours, item ${i}.`,
    sku: `SKU-${i.toString(16).padStart(8, '0')}`,
    tags: ['kitchen', 'outdoor'],
    address: i % 5 === 0 ? null : `${i} Rue de la Paix, Paris`,
    city: i % 7 === 0 ? 'Tōkyō 東京' : 'Paris',
    scraping_time: '2025-05-06T07:08:09Z',
  };
}

const texts = Array.from({ length: rowCount }, (_, i) => JSON.stringify(realisticRow(i)));
const objects = texts.map((text) => JSON.parse(text) as Record<string, unknown>);
const columns = Object.keys(objects[0] ?? {});
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

function encodeTextsAsBytes(): number {
  const encoder = createCsvEncoder(columns, { noLineBreaks: false });
  const transcodeRow = createJsonRowTranscoder(columns, { noLineBreaks: false });
  const records = createCsvRecordBuffer(columns, { noLineBreaks: false });
  let bytes = 0;
  records.appendText(encoder.header());
  for (const text of texts) {
    if (!records.appendJsonRow(text)) records.appendText(transcodeRow(text) ?? encoder.row(JSON.parse(text) as Record<string, unknown>));
    if (records.byteLength() >= chunkChars) bytes += records.takeChunk().length;
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
const declinedBytes = texts.filter((text) => !records.appendJsonRow(text) || (records.takeChunk(), false)).length;
console.log(`${((declinedBytes / rowCount) * 100).toFixed(0)}% of the rows leave the byte path`);
measure('encode parsed rows          ', encodeObjects);
measure('JSON text -> CSV, parse all ', encodeTexts);
measure('JSON text -> CSV, strings   ', encodeTextsLikeTheStream);
measure('JSON text -> CSV, as stream ', encodeTextsAsBytes);
