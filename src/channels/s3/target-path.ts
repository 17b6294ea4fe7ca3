// The folder inside the bucket that deliveries write to (`target_path`), normalised once when
// a destination is configured, so every key built from it is a clean S3 key.

/**
 * S3 keys are at most 1024 bytes (UTF-8). The export file name appended after the path is about
 * 100 bytes, so 900 bytes for the path keeps every key under the limit.
 */
export const MAX_TARGET_PATH_BYTES = 900;

// Control characters are exactly what this pattern is for.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Leading and trailing slashes trimmed, `//` folded; `.` and `..` segments, control characters,
 * invalid Unicode and over-long paths rejected. "" (or "/") is the bucket root.
 */
export function normalizeTargetPath(raw: string): { path: string } | { error: string } {
  if (CONTROL_CHARACTER.test(raw)) return { error: 'target_path must not contain control characters (tabs, line breaks, ...).' };
  if (LONE_SURROGATE.test(raw)) return { error: 'target_path must be valid Unicode text.' };
  const segments = raw.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    return { error: 'target_path must not contain "." or ".." segments.' };
  }
  const path = segments.join('/');
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes > MAX_TARGET_PATH_BYTES) {
    return { error: `target_path is at most ${MAX_TARGET_PATH_BYTES} bytes (UTF-8) so object keys stay under S3's 1024; it has ${bytes}.` };
  }
  return { path };
}
