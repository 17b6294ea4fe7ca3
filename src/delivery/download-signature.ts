// Signed download links: `GET /v1/runs/{id}/download` hands out a URL that Squidship itself
// serves without the API token (Lobstr's SDK downloads the `s3` URL with a plain GET). The
// signature is HMAC-SHA256 over the run id and the expiry, so a link opens one run's export
// until it expires and cannot be altered to open another run or to live longer.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Binds the MAC to this use, so the signing key signing anything else can never collide. */
const PURPOSE = 'squidship-run-export-v1';

export function signRunDownload(key: Buffer, runId: string, expiresUnix: number): string {
  return createHmac('sha256', key).update(`${PURPOSE}\n${runId}\n${expiresUnix}`).digest('hex');
}

export type DownloadCheck = 'valid' | 'expired' | 'invalid';

/** Checks a link's signature in constant time, then its expiry (unix seconds). */
export function checkRunDownload(
  key: Buffer,
  runId: string,
  expiresRaw: string | undefined,
  signatureRaw: string | undefined,
  nowMs: number,
): DownloadCheck {
  if (expiresRaw === undefined || signatureRaw === undefined) return 'invalid';
  if (!/^\d{1,12}$/.test(expiresRaw) || !/^[0-9a-f]{64}$/.test(signatureRaw)) return 'invalid';
  const expected = Buffer.from(signRunDownload(key, runId, Number(expiresRaw)), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signatureRaw, 'hex'))) return 'invalid';
  return Number(expiresRaw) * 1000 <= nowMs ? 'expired' : 'valid';
}

/** `<publicUrl>/v1/runs/<id>/export.csv?expires=<unix>&signature=<hex>` */
export function renderRunDownloadUrl(publicUrl: string, key: Buffer, runId: string, expiresUnix: number): string {
  const base = publicUrl.replace(/\/+$/, '');
  const signature = signRunDownload(key, runId, expiresUnix);
  return `${base}/v1/runs/${encodeURIComponent(runId)}/export.csv?expires=${expiresUnix}&signature=${signature}`;
}
