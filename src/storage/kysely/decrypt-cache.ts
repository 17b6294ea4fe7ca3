// Decrypted destination configs, memoised by their sealed text. Every squid read (GET
// /v1/squids/{id}) opens its S3 config to mask the keys, and AES-GCM set-up cost more than the
// query. A sealed text never changes meaning (a new config is sealed with a fresh IV, so it is a
// new key here), so entries never go stale; the bound only caps memory.
import type { SecretBox } from '../secret-box.js';

/** Sealed texts kept: far more than the squids a server reads in a burst, a few hundred KiB. */
const MAX_ENTRIES = 1000;

/** `box` with a memoised decrypt (encrypt is passed through). */
export function createDecryptCache(box: SecretBox, maxEntries = MAX_ENTRIES): SecretBox {
  const opened = new Map<string, string>();
  return {
    encrypt: (plaintext) => box.encrypt(plaintext),
    decrypt(sealed) {
      const hit = opened.get(sealed);
      if (hit !== undefined) return hit;
      // A failure (wrong key) throws here and is not cached: the next read tries again.
      const plaintext = box.decrypt(sealed);
      if (opened.size >= maxEntries) opened.delete(opened.keys().next().value as string);
      opened.set(sealed, plaintext);
      return plaintext;
    },
  };
}
