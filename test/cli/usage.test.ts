import { describe, expect, it } from 'vitest';
import { linesOf, runCliInProcess } from './run-cli-in-process.js';
import { runCliProcess } from './run-cli-process.js';

describe.concurrent('squidship usage', () => {
  it('prints the usage and exits 0 for --help', async () => {
    const result = await runCliInProcess(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: squidship <command>');
    expect(result.stdout).toContain('token create [--account NAME]');
    expect(result.stderr).toBe('');
  });

  it('prints the usage on stderr and exits 2 without a command', async () => {
    const result = await runCliInProcess([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: squidship <command>');
  });

  it.each([
    [['launch'], 'squidship: unknown command "launch" (see squidship --help)'],
    [['token'], 'squidship: token needs a subcommand: token create, token list or token revoke (see squidship --help)'],
    [['token', 'delete'], 'squidship: unknown token subcommand "delete" (see squidship --help)'],
    [['migrate', '--force'], "squidship: Unknown option '--force' (see squidship --help)"],
    [['serve', '--role', 'boss'], 'squidship: --role must be one of all, api, worker, not "boss" (see squidship --help)'],
    [['push', '--squid', 'abc'], 'squidship: push needs a FILE (see squidship --help)'],
    [['push', 'rows.ndjson'], 'squidship: push needs --squid ID (see squidship --help)'],
    [['push', 'rows.txt', '--squid', 'abc'], 'squidship: rows.txt: push reads .ndjson, .jsonl, .json or .csv files (see squidship --help)'],
    [['push', 'a.csv', 'b.csv', '--squid', 'abc'], 'squidship: push takes one FILE, got also "b.csv" (see squidship --help)'],
    [['push', 'a.csv', '--squid', 'abc', '--batch-rows', '0'], 'squidship: --batch-rows must be a whole number from 1 to 10000000, not "0" (see squidship --help)'],
  ])('exits 2 with one line for %j', async (args, line) => {
    const result = await runCliInProcess(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(linesOf(result.stderr)).toEqual([line]);
  });

  it('reports every bad SQUIDSHIP_* variable on its own line and exits 1', async () => {
    const result = await runCliInProcess(['migrate'], { SQUIDSHIP_PORT: 'eighty', SQUIDSHIP_LOG_LEVEL: 'loud' });
    expect(result.code).toBe(1);
    expect(linesOf(result.stderr)).toEqual([
      'squidship: SQUIDSHIP_PORT=eighty is invalid: set a whole number from 0 to 65535 (a TCP port)',
      'squidship: SQUIDSHIP_LOG_LEVEL=loud is invalid: set one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('runs as the `squidship` process: usage on stderr and exit code 2 without a command', async () => {
    const result = await runCliProcess([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: squidship <command>');
  });
});
