// How channels show a secret they hold (keys, passwords) when a destination is read back.

/** All but the last 4 characters become `*`, so a leaked read does not leak the key. */
export function maskSecret(value: string | null): string | null {
  if (value === null) return null;
  const keep = Math.min(4, value.length);
  return '*'.repeat(value.length - keep) + value.slice(value.length - keep);
}
