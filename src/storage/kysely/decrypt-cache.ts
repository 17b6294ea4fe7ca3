// Decrypted destination configs, memoised by their sealed text. Every squid read (GET
// /v1/squids/{id}) opens its S3 config to mask the keys, and AES-GCM set-up cost more than the
// query. A sealed text never changes meaning (a new config is sealed with a fresh IV, so it is a
// new key here), so entries never go stale; the bound only caps memory.
import type { DestinationConfig } from '../../domain/types.js';
import type { SecretBox } from '../secret-box.js';
import { openConfig } from './row-mappers.js';

/** Sealed texts kept: far more than the squids a server reads in a burst, a few hundred KiB. */
const MAX_ENTRIES = 1000;

/** `box` with a memoised decrypt (encrypt is passed through). */
export function createDecryptCache(box: SecretBox, maxEntries = MAX_ENTRIES): SecretBox {
  const opened = createBoundedMemo((sealed: string) => box.decrypt(sealed), maxEntries);
  return {
    encrypt: (plaintext) => box.encrypt(plaintext),
    decrypt: opened,
  };
}

/**
 * Sealed config -> config, decrypted and parsed once per sealed text (the squid view's read; the
 * JSON parse cost as much as its SQL statement's row conversion). Each call answers its own
 * copy, so that a caller changing it changes nothing for the next.
 */
export function createConfigCache(box: SecretBox, maxEntries = MAX_ENTRIES): (sealed: string) => DestinationConfig {
  const parsed = createBoundedMemo((sealed: string) => openConfig(box, sealed), maxEntries);
  return (sealed) => ({ ...(parsed(sealed) as object) });
}

function createBoundedMemo<T>(open: (sealed: string) => T, maxEntries: number): (sealed: string) => T {
  const memo = new Map<string, T>();
  return (sealed) => {
    const hit = memo.get(sealed);
    if (hit !== undefined) return hit;
    // A failure (wrong key) throws here and is not cached: the next read tries again.
    const value = open(sealed);
    if (memo.size >= maxEntries) memo.delete(memo.keys().next().value as string);
    memo.set(sealed, value);
    return value;
  };
}
