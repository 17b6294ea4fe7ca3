// `squidship token list`: every API token's public id, account, creation and last use. Tokens
// are stored only as hashes, so neither the token nor its hash can be shown. The last use is
// recorded at most once a minute per server process.
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/config.js';
import type { ApiTokenInfo } from '../../storage/store.js';
import type { CliContext } from '../cli-context.js';
import { openConfiguredStore } from '../open-store.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { requireDatabaseUnlessChosen } from './token-create.js';

const HEADER = ['ID', 'ACCOUNT', 'CREATED', 'LAST USED'];

function renderTime(ms: number | null): string {
  return ms === null ? 'never' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function renderTokenTable(tokens: readonly ApiTokenInfo[]): string {
  const rows = tokens.map((token) => [
    token.id,
    token.bootstrap ? `${token.accountName} (SQUIDSHIP_BOOTSTRAP_TOKEN)` : token.accountName,
    renderTime(token.createdAtMs),
    renderTime(token.lastUsedAtMs),
  ]);
  const widths = HEADER.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  return [HEADER, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

export async function runTokenList(context: CliContext): Promise<void> {
  parseCommandArgs(() => parseArgs({ args: context.args, options: {}, strict: true }));
  await requireDatabaseUnlessChosen(context, loadConfig(context.env, context.cwd));
  const { store } = await openConfiguredStore(context);
  try {
    await store.migrate();
    context.stdout.write(renderTokenTable(await store.listApiTokens()));
  } finally {
    await store.close();
  }
}
