// `squidship token revoke ID`: deletes the token with that public id (from `token list`).
// Running servers remember a valid token for up to TOKEN_CACHE_TTL_MS, so it stops working on
// them within that time, not at the instant this command returns.
import { parseArgs } from 'node:util';
import { TOKEN_CACHE_TTL_MS } from '../../accounts/api-tokens.js';
import { loadConfig } from '../../config/config.js';
import { AppError } from '../../domain/app-error.js';
import { UsageError, type CliContext } from '../cli-context.js';
import { openConfiguredStore } from '../open-store.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { requireDatabaseUnlessChosen } from './token-create.js';

export async function runTokenRevoke(context: CliContext): Promise<void> {
  const { positionals } = parseCommandArgs(() => parseArgs({ args: context.args, options: {}, allowPositionals: true, strict: true }));
  const tokenId = positionals[0]?.trim().toLowerCase();
  if (tokenId === undefined || tokenId === '' || positionals.length > 1) throw new UsageError('token revoke needs one token id (see squidship token list)');
  await requireDatabaseUnlessChosen(context, loadConfig(context.env, context.cwd));
  const { store } = await openConfiguredStore(context);
  try {
    await store.migrate();
    if (!(await store.revokeApiToken(tokenId))) {
      throw new AppError('TokenNotFound', `no token with id ${tokenId}`, { hint: 'squidship token list shows the ids' });
    }
    context.stderr.write(`squidship: revoked token ${tokenId}; running servers refuse it within ${TOKEN_CACHE_TTL_MS / 1000} seconds\n`);
  } finally {
    await store.close();
  }
}
