// Run by the migration test as a separate process: opens the SQLite file given as the first
// argument and migrates it. (Two SQLite stores in one process would block each other's thread
// while one waits for the other's write lock, so concurrency is tested across processes.)
import { randomBytes } from 'node:crypto';
import { createSecretBox } from '../../src/storage/secret-box.js';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';

const filePath = process.argv[2];
if (filePath === undefined) throw new Error('usage: migrate-sqlite-process.ts FILE');
const store = await createSqliteStore({ filePath, secretBox: createSecretBox(randomBytes(32)) });
await store.migrate();
await store.close();
console.log('migrated');
