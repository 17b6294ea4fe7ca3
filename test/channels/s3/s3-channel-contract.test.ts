// The S3 channel against the shared channel contract, with the loopback s3rver behind the
// fault proxy (AccessDenied for good, one SlowDown then success).
import { createTestConfig, lobstrS3Fields, startDeliveryFixture } from '../../delivery/delivery-fixture.js';
import { TEST_BUCKET, S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY } from '../../helpers/s3rver.js';
import { describeChannelContract } from '../channel-contract.js';

describeChannelContract('s3', async () => {
  const fixture = await startDeliveryFixture({ config: createTestConfig({ delivery: { maxAttempts: 50 } }) });
  await fixture.startWorker();
  return {
    fixture,
    fieldsKey: 's3_fields',
    testRoute: 'test-s3',
    fields: () => lobstrS3Fields('contract'),
    testBody: () => ({ bucket: TEST_BUCKET, aws_access_key: S3RVER_ACCESS_KEY, aws_secret_key: S3RVER_SECRET_KEY }),
    targetOf: (job) => job.key as string,
    readDelivered: (job) => fixture.readObject(job.key as string),
    async breakForGood() {
      fixture.proxy.failWith('AccessDenied', Infinity, { only: ['PutObject', 'CreateMultipartUpload'] });
      return lobstrS3Fields('denied');
    },
    async breakOnce() {
      fixture.proxy.failWith('SlowDown', 1, { only: ['PutObject'] });
      return { fields: lobstrS3Fields('throttled'), heal: async () => undefined };
    },
    reset: async () => fixture.proxy.reset(),
    close: () => fixture.close(),
  };
});
