// Reads objects from the embedded s3rver with plain path-style HTTP (it does not check signatures),
// so the benchmarks observe the bucket the way a user would, without an SDK in between.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

export function objectUrl(endpoint: string, bucket: string, key: string): string {
  return `${endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** HEAD the object: its size and ETag, or null when it is not there (404). */
export async function headObject(url: string): Promise<{ bytes: number; etag: string } | null> {
  const response = await fetch(url, { method: 'HEAD' });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`HEAD ${url} answered ${response.status}`);
  return { bytes: Number(response.headers.get('content-length')), etag: response.headers.get('etag') ?? '' };
}

/** Downloads the object to `path`; answers its size in bytes. */
export async function downloadObject(url: string, path: string): Promise<number> {
  const response = await fetch(url);
  if (!response.ok || response.body === null) throw new Error(`GET ${url} answered ${response.status}`);
  const file = createWriteStream(path);
  await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), file);
  return file.bytesWritten;
}
