// What every part of the shared store implementation is built from.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { SecretBox } from '../secret-box.js';
import type { Database } from './database.js';
import type { DialectOps } from './dialect-ops.js';

export interface StoreContext {
  ops: DialectOps;
  db: Kysely<Database>;
  secretBox: SecretBox;
}

/** A 32-character lower-case hex id, the form Lobstr uses for every object. */
export function newHexId(): string {
  return randomUUID().replaceAll('-', '');
}

/** `text` as a LIKE pattern that matches it literally (used with ESCAPE '\'). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
