// The multipart uploads s3rver still holds open, read from its data folder.
//
// Why from disk: s3rver 3.7.1 answers ListMultipartUploads (`GET /bucket?uploads`) with
// NotImplemented, so no S3 call can list them. It keeps each open upload in
// `<directory>/<bucket>/._S3rver_uploads/<uploadId>/` (a `key` file and one file per part) and
// removes the folder when the upload completes. It has no AbortMultipartUpload either: a
// `DELETE /bucket/key?uploadId=...` is treated as DeleteObject, and the folder stays.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface OpenUpload {
  uploadId: string;
  key: string;
  /** Part numbers received so far. */
  parts: number[];
}

export async function listS3rverOpenUploads(directory: string, bucket: string): Promise<OpenUpload[]> {
  const uploadsDir = join(directory, bucket, '._S3rver_uploads');
  let uploadIds: string[];
  try {
    uploadIds = await readdir(uploadsDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return Promise.all(
    uploadIds.map(async (uploadId) => {
      const files = await readdir(join(uploadsDir, uploadId));
      const key = await readFile(join(uploadsDir, uploadId, 'key'), 'utf8');
      const parts = files.filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => a - b);
      return { uploadId, key, parts };
    }),
  );
}
