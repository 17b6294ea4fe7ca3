import { describe, expect, it } from 'vitest';
import { createLineScanner } from '../../src/ingest/json-line-scan.js';

/** What JSON.parse and a for-in make of a line: the reference the scan must agree with. */
function reference(text: string): { keys: string[]; scrapingTime: string | null } | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const keys: string[] = [];
  for (const key in value) keys.push(key);
  const time = (value as Record<string, unknown>).scraping_time;
  return { keys, scrapingTime: typeof time === 'string' ? time : null };
}

/** The scan of `text` as one line inside a larger buffer (bytes around it must not matter). */
function scanText(text: string, scanner = createLineScanner()) {
  const bytes = Buffer.concat([Buffer.from('{"x":1}\n'), Buffer.from(text, 'utf8'), Buffer.from('\n}1]"')]);
  const start = 8;
  const result = scanner.scan(bytes, start, bytes.length - 5);
  return result === null ? null : { keys: [...new Set(result.keys)], scrapingTime: result.scrapingTime };
}

const VALID = [
  '{}',
  '{"a":1}',
  '{ "a" : [ 1 , 2.5e-3 , -0 , 0.0 , 1E+9 ] , "b" : { } , "c" : [ ] }',
  '{"nested":{"deep":[{"x":[[[]]]},null,true,false]},"s":"q\\"uote\\\\ \\/ \\b\\f\\n\\r\\t \\u00e9\\uD83D\\uDE00"}',
  '{"name":"Café 🦑","city":"תל אביב","東京":"大阪"}',
  '{"a":1,"b":2,"a":3}',
  '{"scraping_time":"2024-01-02T03:04:05Z","x":1}',
  '{"scraping_time":"2024-01-02T03:04:05Z","scraping_time":7}',
  '{"scraping_time":12,"scraping_time":"2024-05-06"}',
  '{"scraping_time":"2024\\u002d01\\u002d02"}',
  '{"k\\u0065y":1,"\\"quoted\\"":2}',
  '{"__proto__":1,"constructor":2}',
  '{"-1":1,"b":2}',
  '{"text":"tab\tinside is invalid"}',
  '{"line":"a\\nb"}\t',
];

describe('createLineScanner', () => {
  it('agrees with JSON.parse on keys (for-in order) and scraping_time', () => {
    for (const text of VALID) {
      const expected = reference(text);
      const scanned = scanText(text);
      if (scanned === null) continue; // refusing is always allowed: JSON.parse then decides
      expect(expected, text).not.toBeNull();
      expect(scanned, text).toEqual(expected);
    }
    // The common shapes must take the scan, not the fallback.
    for (const text of VALID.slice(0, 12)) expect(scanText(text), text).not.toBeNull();
  });

  it('refuses what it must leave to JSON.parse', () => {
    for (const text of [
      '{"b":1,"1":2}', // for-in lists integer-like keys first
      ' {"a":1}', // trim() would change the stored text
      '{"a":1} ',
      '\uFEFF{"a":1}',
      '[1]',
      '"text"',
      '',
    ]) {
      expect(scanText(text), text).toBeNull();
    }
    const invalidUtf8 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]);
    expect(createLineScanner().scan(invalidUtf8, 0, invalidUtf8.length)).toBeNull();
  });

  it('never accepts invalid JSON (mutations of valid rows)', () => {
    let state = 7;
    const random = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    const alphabet = '{}[]:,"\\ 0123456789.eE+-tfnrulsa\u00e9\u0001';
    const scanner = createLineScanner();
    let accepted = 0;
    for (let n = 0; n < 20000; n++) {
      const chars = [...(VALID[random(VALID.length)] as string)];
      for (let edits = 1 + random(3); edits > 0; edits--) {
        const at = random(chars.length + 1);
        const kind = random(3);
        const char = alphabet[random(alphabet.length)] as string;
        if (kind === 0) chars.splice(at, 1);
        else if (kind === 1) chars.splice(at, 0, char);
        else chars[at] = char;
      }
      const text = chars.join('');
      const scanned = scanText(text, scanner);
      if (scanned === null) continue;
      accepted++;
      expect(scanned, text).toEqual(reference(text));
    }
    expect(accepted).toBeGreaterThan(100);
  });

  it('reports from which key a row differs from the one before', () => {
    const scanner = createLineScanner();
    const scan = (text: string) => {
      const bytes = Buffer.from(text);
      const result = scanner.scan(bytes, 0, bytes.length);
      return result === null ? null : { keys: [...result.keys], firstNewKey: result.firstNewKey };
    };
    expect(scan('{"a":1,"b":2}')).toEqual({ keys: ['a', 'b'], firstNewKey: 0 });
    expect(scan('{"a":3,"b":{"c":4}}')).toEqual({ keys: ['a', 'b'], firstNewKey: 2 });
    expect(scan('{"a":3,"c":4,"d":5}')).toEqual({ keys: ['a', 'c', 'd'], firstNewKey: 1 });
    expect(scan('{"a":3}')).toEqual({ keys: ['a'], firstNewKey: 1 });
    expect(scan('{"a":3,"c":4}')).toEqual({ keys: ['a', 'c'], firstNewKey: 1 });
    expect(scan('{"a":1,"1":2}')).toBeNull();
    // After a refusal nothing is assumed of the previous row.
    expect(scan('{"a":3,"c":4}')).toEqual({ keys: ['a', 'c'], firstNewKey: 0 });
  });
});
