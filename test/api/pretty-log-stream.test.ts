import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../../src/api/pretty-log-stream.js';
import { createLoggerOptions } from '../../src/api/logging.js';
import { loadConfig } from '../../src/config/config.js';

describe('pretty log lines', () => {
  it('shows time, level, message and the fields, without pid and hostname', () => {
    const line = JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), pid: 1, hostname: 'h', msg: 'squidship started', event: 'server.started', url: 'http://127.0.0.1:8080', role: 'all', port: 8080 });
    expect(formatLogLine(line)).toBe('03:04:05.006 INFO  squidship started event=server.started url=http://127.0.0.1:8080 role=all port=8080');
  });

  it('quotes strings with spaces and shows an error by its type and message, not its stack', () => {
    const line = JSON.stringify({ level: 50, time: 0, msg: 'failed', reason: 'a b', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' } });
    expect(formatLogLine(line)).toBe('00:00:00.000 ERROR failed reason="a b" err="Error: boom"');
  });

  it('passes a line that is not JSON through', () => {
    expect(formatLogLine('plain text\n')).toBe('plain text');
  });

  it('is chosen by SQUIDSHIP_LOG_FORMAT=pretty and not by json', () => {
    const pretty = createLoggerOptions(loadConfig({ SQUIDSHIP_LOG_FORMAT: 'pretty' }, '/srv'), undefined);
    const json = createLoggerOptions(loadConfig({ SQUIDSHIP_LOG_FORMAT: 'json' }, '/srv'), undefined);
    expect(typeof pretty === 'object' && pretty !== null && 'stream' in pretty).toBe(true);
    expect(typeof json === 'object' && json !== null && 'stream' in json).toBe(false);
  });
});
