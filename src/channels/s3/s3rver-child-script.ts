// The CommonJS program the embedded S3 child process runs (`node --openssl-legacy-provider -e`).
// Kept as text so it runs the same from tsx and from dist/; its argument is the JSON options.
//
// Besides starting s3rver, it fills two gaps of s3rver 3.7.1 that delivery depends on:
// - any access key is accepted (s3rver knows only `S3RVER` and does not verify SigV4 anyway;
//   the Lobstr page's own example sends `your_access_key`);
// - AbortMultipartUpload and ListMultipartUploads, which s3rver answers 405/501, are served
//   from its own upload folders, so a failed upload can be aborted and open uploads listed.
// The child exits when the IPC channel closes, so it never outlives its parent, and ignores SIGINT.
export const S3RVER_CHILD_SCRIPT = String.raw`
const fs = require('fs');
const path = require('path');
const options = JSON.parse(process.argv[1]);
const S3rver = require(options.modulePath);
const AWSAccount = require(options.modulePath.replace(/s3rver\.js$/, 'models/account.js'));
const S3Error = require(options.modulePath.replace(/s3rver\.js$/, 'models/error.js'));
AWSAccount.registry.get = () => AWSAccount.DUMMY_ACCOUNT;

const server = new S3rver({
  address: options.host, port: options.port, directory: options.directory, silent: true,
  configureBuckets: options.buckets.map((name) => ({ name })),
});

const uploadsDir = (bucket) => server.store.getResourcePath(bucket, undefined, 'uploads');
const hasKeyFile = (dir) => fs.promises.access(path.join(dir, 'key')).then(() => true, () => false);

async function abortUpload(ctx, bucket, uploadId) {
  const dir = path.join(uploadsDir(bucket), uploadId);
  if (!/^[0-9a-f]+$/.test(uploadId) || !(await hasKeyFile(dir))) {
    throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
  }
  await fs.promises.rm(dir, { recursive: true, force: true });
  ctx.status = 204;
}

async function listUploads(ctx, bucket) {
  const root = uploadsDir(bucket);
  const names = await fs.promises.readdir(root).catch(() => []);
  const uploads = [];
  for (const name of names.sort()) {
    const dir = path.join(root, name);
    // A folder without its key file is a part written after the abort: not an open upload.
    if (!(await hasKeyFile(dir))) continue;
    const key = await fs.promises.readFile(path.join(dir, 'key'), 'utf8');
    const stat = await fs.promises.stat(dir);
    uploads.push({ Key: key, UploadId: name, Initiated: stat.mtime.toISOString(), StorageClass: 'STANDARD' });
  }
  ctx.body = {
    ListMultipartUploadsResult: {
      '@': { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
      Bucket: bucket, KeyMarker: '', UploadIdMarker: '', MaxUploads: 1000, IsTruncated: false,
      ...(uploads.length > 0 ? { Upload: uploads } : {}),
    },
  };
}

async function multipartGaps(ctx, next) {
  const match = /^\/([^/]+)\/?(.*)$/.exec(ctx.path);
  if (!match) return next();
  const bucket = match[1];
  const hasKey = match[2] !== '';
  const isAbort = ctx.method === 'DELETE' && hasKey && typeof ctx.query.uploadId === 'string';
  const isList = ctx.method === 'GET' && !hasKey && 'uploads' in ctx.query;
  if (!isAbort && !isList) return next();
  if (!(await server.store.getBucket(bucket))) {
    throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
  }
  return isAbort ? abortUpload(ctx, bucket, ctx.query.uploadId) : listUploads(ctx, bucket);
}
// Koa composes its middleware list when it starts listening: run just before s3rver's router.
server.middleware.splice(server.middleware.length - 1, 0, multipartGaps);

let closing = false;
const shutDown = () => {
  if (closing) return;
  closing = true;
  server.close().catch(() => undefined).finally(() => process.exit(0));
};
process.on('disconnect', shutDown);
// Ctrl-C reaches the whole terminal process group: the parent stops this child after its own
// in-flight uploads are done (the 'stop' message), not before.
process.on('SIGINT', () => undefined);
process.on('message', (message) => { if (message === 'stop') shutDown(); });
server.run().then(
  (address) => process.send({ type: 'listening', port: address.port }),
  (error) => { process.stderr.write(String((error && error.message) || error)); process.exit(1); },
);
`;
