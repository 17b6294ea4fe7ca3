import { describe, expect, it } from 'vitest';
import { createCsvBatchEncoder } from '../../../../src/export/formats/csv/csv-batch-encoder.js';

const COLUMNS = ['name', 'price', 'tags'];
/** Batches with rows every path takes and rows the byte paths decline (keys out of order); numbers stay as sent. */
const BATCHES = [
  ['{"name":"a, b","price":1.5,"tags":["x"]}', '{"name":"c","price":1.50}', '{"tags":[],"name":"d"}'],
  ['{"name":"e","price":2}', '{"price":3,"name":"f \\"q\\""}'],
  ['{"name":"' + 'long '.repeat(40_000) + '","price":4}'],
  ['{"name":"g"}'],
];

function batchOf(rows: readonly string[]): Buffer {
  return Buffer.from(rows.map((row) => `${row}\n`).join(''), 'utf8');
}

describe('createCsvBatchEncoder', () => {
  for (const native of [true, false]) {
    it(`gives encodeBatch's bytes as views of one reused buffer (native ${native})`, () => {
      const owned = createCsvBatchEncoder(COLUMNS, { noLineBreaks: false, runId: 'run', native });
      const viewed = createCsvBatchEncoder(COLUMNS, { noLineBreaks: false, runId: 'run', native });
      const views: Buffer[] = [];
      for (const rows of BATCHES) {
        const expected = owned.encodeBatch(batchOf(rows));
        const view = viewed.encodeBatchView(batchOf(rows));
        expect(view.toString('utf8')).toBe(expected.toString('utf8'));
        views.push(view);
      }
      expect(owned.encodeBatch(batchOf(BATCHES[0]!)).toString('utf8')).toBe('"a, b",1.5,"[""x""]"\r\nc,1.50,\r\nd,,[]\r\n');
      // Views of the encoder's own buffer: the second batch was written over the first's bytes.
      expect(views[1]!.buffer).toBe(views[0]!.buffer);
      expect(views[0]!.subarray(0, 4).toString('utf8')).toBe('e,2,');
    });
  }
});
