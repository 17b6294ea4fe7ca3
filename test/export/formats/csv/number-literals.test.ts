// Every number in the CSV is the literal the scraper sent, on every path: the byte path, the
// native path (which declines the rows it would rewrite), the plain encoder (rows the byte paths
// decline), top-level values and inside nested objects and arrays. JSON.parse would give
// 12345678901234567000 for 12345678901234567890 and rewrite 1.0, 19.990, 1E-7 and -0.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../src/domain/app-error.js';
import { createCsvBatchEncoder } from '../../../../src/export/formats/csv/csv-batch-encoder.js';

function encode(columns: readonly string[], rows: readonly string[], native: boolean): string {
  const encoder = createCsvBatchEncoder(columns, { noLineBreaks: false, runId: 'run', native });
  const batch = Buffer.from(rows.map((row) => `${row}\n`).join(''), 'utf8');
  return encoder.header().toString('utf8') + encoder.encodeBatch(batch).toString('utf8');
}

const LITERALS = ['12345678901234567890', '9007199254740993', '1.0', '19.990', '1E-7', '-0', '-0.0', '1e+21', '5e-324', '0.000001'];

describe('number literals in the CSV', () => {
  for (const native of [false, true]) {
    describe(`native ${native}`, () => {
      it('copies top-level numbers as they were sent', () => {
        const rows = LITERALS.map((literal) => `{"a":${literal}}`);
        expect(encode(['a'], rows, native)).toBe(`a\r\n${LITERALS.map((literal) => `${literal}\r\n`).join('')}`);
      });

      it('keeps literals inside nested values, compact or spaced', () => {
        const rows = ['{"n":{"a":[1.50,{"b":-0}]}}', '{"n":[12345678901234567890, 9007199254740993]}', '{"n": { "x" : [ 1.0 , 2E3 ] } }'];
        expect(encode(['n'], rows, native)).toBe('n\r\n"{""a"":[1.50,{""b"":-0}]}"\r\n"[12345678901234567890,9007199254740993]"\r\n"{""x"":[1.0,2E3]}"\r\n');
      });

      it('keeps literals in rows the byte paths decline (keys out of order, repeated keys, nested repeated keys)', () => {
        const rows = ['{"b":19.990,"a":1.0}', '{"a":1,"a":-0,"b":1E-7}', '{"a":{"k":1,"k":12345678901234567890},"b":{"2":1.10,"1":2.0}}'];
        expect(encode(['a', 'b'], rows, native)).toBe('a,b\r\n1.0,19.990\r\n-0,1E-7\r\n"{""k"":12345678901234567890}","{""1"":2.0,""2"":1.10}"\r\n');
      });

      it('gives the same bytes on both paths for nested values deeper than the copy goes', () => {
        const deep = `${'['.repeat(40)}1.0${']'.repeat(40)}`;
        expect(encode(['a'], [`{"a":${deep}}`], native)).toBe(`a\r\n${deep}\r\n`);
      });
    });
  }

  it('fails a row nested too deeply to read, or not JSON, permanently (StoredRowUnreadable)', () => {
    for (const row of [`{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`, '{"a":', '[1]']) {
      for (const native of [false, true]) {
        let thrown: unknown;
        try {
          encode(['a'], ['{"a":1}', row], native);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(AppError);
        expect(thrown).toMatchObject({ code: 'StoredRowUnreadable', retryable: false, status: 500 });
        expect((thrown as Error).message).toMatch(/^result 2 of run run is /);
      }
    }
  });
});
