// `squidship backup FILE`: a consistent copy of the SQLite database while the server runs. The
// copy's destination secrets are encrypted: restoring it needs the same secret key.
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/config.js';
import { secretKeyFilePath } from '../../config/secret-key-file.js';
import { AppError } from '../../domain/app-error.js';
import { SQLITE_FILE_NAME } from '../../storage/create-store.js';
import { backupSqliteDatabase } from '../../storage/sqlite/backup-sqlite.js';
import { UsageError, type CliContext } from '../cli-context.js';
import { parseCommandArgs } from '../parse-command-args.js';

export async function runBackup(context: CliContext): Promise<void> {
  const { positionals } = parseCommandArgs(() => parseArgs({ args: context.args, options: {}, allowPositionals: true, strict: true }));
  if (positionals.length !== 1) throw new UsageError('backup needs one argument: the file to write the copy to');
  const config = loadConfig(context.env, context.cwd);
  if (config.databaseUrl !== null) {
    throw new AppError('NotSqlite', 'squidship backup copies the embedded SQLite database; this configuration uses PostgreSQL', {
      hint: 'back PostgreSQL up with pg_dump, see docs/operations.md',
    });
  }
  const target = resolve(context.cwd, positionals[0]!);
  const { bytes } = await backupSqliteDatabase(join(config.dataDir, SQLITE_FILE_NAME), target);
  context.stdout.write(`${target}\n`);
  const keySource = config.secretKey === null ? secretKeyFilePath(config.dataDir) : 'SQUIDSHIP_SECRET_KEY';
  context.stderr.write(
    `squidship: copied the database (${bytes} bytes) to ${target}. Keep the secret key (${keySource}) ` +
      'as well, somewhere else: without it a restored copy cannot decrypt its destinations\' credentials.\n',
  );
}
