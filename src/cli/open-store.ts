// Builds the store the server would use, from the same SQUIDSHIP_* configuration, for the
// commands that work on the database directly (migrate, token create).
import { loadConfig, type Config } from '../config/config.js';
import { loadSecretKey } from '../config/secret-key-file.js';
import { createStore } from '../storage/create-store.js';
import { createSecretBox } from '../storage/secret-box.js';
import type { Store } from '../storage/store.js';
import type { CliContext } from './cli-context.js';

export async function openConfiguredStore(context: CliContext): Promise<{ config: Config; store: Store }> {
  const config = loadConfig(context.env, context.cwd);
  const secretBox = createSecretBox(await loadSecretKey(config));
  const store = await createStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, secretBox });
  return { config, store };
}

/** Where the database lives, without the credentials a PostgreSQL URL may carry. */
export function describeDatabase(config: Config): string {
  if (config.databaseUrl === null) return `SQLite in ${config.dataDir}`;
  const url = new URL(config.databaseUrl);
  return `PostgreSQL at ${url.host}${url.pathname}`;
}
