// POST /v1/delivery?squid=ID in both documented body forms, its validation, the channels
// Squidship does not deliver to, and the POST /v1/delivery/test-* channels that do not exist.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3DestinationConfig } from '../../../src/channels/s3/s3-config.js';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';

const fields = {
  bucket: 'my-bucket',
  is_active: true,
  target_path: 'exports',
  aws_access_key: 'AKIAIOSFODNN7EXAMPLE',
  aws_secret_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

function flat(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [`s3_fields.${key}`, value]));
}

describe('POST /v1/delivery (configure S3 delivery)', () => {
  let server: TestServer;
  let squidId: string;

  beforeAll(async () => {
    server = await startTestServer();
    squidId = (await server.request('POST', '/v1/squids', { name: 'delivery config' })).body.id as string;
  });

  afterAll(async () => {
    await server.close();
  });

  const configure = (body: unknown, squid = squidId) => server.request('POST', `/v1/delivery?squid=${squid}`, body);

  async function expectError(body: unknown, status: number, type: string, messagePart: string, squid = squidId) {
    const response = await configure(body, squid);
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    expect(response.body.errors.type).toBe(type);
    expect(response.body.errors.message).toContain(messagePart);
    return response;
  }

  it('accepts the nested form and answers 201 with the keys masked', async () => {
    const response = await configure({ s3_fields: fields });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      s3_fields: {
        bucket: 'my-bucket',
        is_active: true,
        target_path: 'exports',
        aws_access_key: '****************MPLE',
        aws_secret_key: '************************************EKEY',
        region: null,
        endpoint: null,
        force_path_style: null,
      },
    });
    const squid = await server.request('GET', `/v1/squids/${squidId}`);
    expect(squid.body.s3_fields).toEqual(response.body.s3_fields);
    // The store keeps the real keys (deliveries need them).
    const [destination] = await server.store.listDestinations(squidId);
    expect((destination?.config as S3DestinationConfig | undefined)?.secretAccessKey).toBe(fields.aws_secret_key);
  });

  it('accepts the flat dotted form, with the extensions, and normalises target_path', async () => {
    const response = await configure(flat({
      bucket: 'other-bucket',
      is_active: true,
      target_path: '/a//b/',
      region: 'eu-west-3',
      endpoint: 'https://s3.example.com/',
      force_path_style: true,
    }));
    expect(response.status).toBe(201);
    expect(response.body.s3_fields).toEqual({
      bucket: 'other-bucket',
      is_active: true,
      target_path: 'a/b',
      aws_access_key: null,
      aws_secret_key: null,
      region: 'eu-west-3',
      endpoint: 'https://s3.example.com',
      force_path_style: true,
    });
  });

  it('replaces the configuration on each POST; is_active false keeps it', async () => {
    expect((await configure({ s3_fields: fields })).status).toBe(201);
    expect((await configure({ s3_fields: { ...fields, bucket: 'second-bucket', target_path: '' } })).status).toBe(201);
    expect((await configure({ s3_fields: { ...fields, bucket: 'second-bucket', is_active: false, target_path: '' } })).status).toBe(201);
    const destinations = await server.store.listDestinations(squidId);
    expect(destinations).toHaveLength(1);
    expect(destinations[0]).toMatchObject({ isActive: false, config: { bucket: 'second-bucket', targetPath: '' } });
  });

  it('refuses a body that mixes the nested and the flat form', async () => {
    await expectError({ s3_fields: fields, 's3_fields.region': 'eu-west-1' }, 400, 'ParamsInvalid', 'not both');
  });

  it('names missing, unknown and mistyped fields', async () => {
    const { bucket: _bucket, ...withoutBucket } = fields;
    await expectError({ s3_fields: withoutBucket }, 400, 'ParamsNeeded', 's3_fields.bucket');
    const { is_active: _active, ...withoutActive } = fields;
    await expectError(flat(withoutActive), 400, 'ParamsNeeded', 's3_fields.is_active');
    const { target_path: _path, ...withoutPath } = fields;
    await expectError({ s3_fields: withoutPath }, 400, 'ParamsNeeded', 's3_fields.target_path');
    await expectError({ s3_fields: { ...fields, acl: 'public-read' } }, 400, 'InvalidParam', 's3_fields.acl');
    await expectError({ s3_fields: fields, format: 'csv' }, 400, 'InvalidParam', 'format');
    await expectError({ s3_fields: { ...fields, is_active: 'true' } }, 400, 'InvalidParamType', 's3_fields.is_active');
    await expectError({ s3_fields: 'my-bucket' }, 400, 'InvalidParameterValue', 's3_fields');
    await expectError({}, 400, 'ParamsNeeded', 's3_fields');
    await expectError([fields], 400, 'InvalidParameterValue', 'body');
  });

  it('checks the bucket name, target_path, the key pair, region and endpoint', async () => {
    await expectError({ s3_fields: { ...fields, bucket: 'My_Bucket' } }, 400, 'InvalidParameterValue', 's3_fields.bucket');
    await expectError({ s3_fields: { ...fields, bucket: 'ab' } }, 400, 'InvalidParameterValue', '3 to 63');
    await expectError({ s3_fields: { ...fields, target_path: 'a/../b' } }, 400, 'InvalidParameterValue', '..');
    await expectError({ s3_fields: { ...fields, target_path: 'a\nb' } }, 400, 'InvalidParameterValue', 'control');
    await expectError({ s3_fields: { ...fields, target_path: 'x'.repeat(1000) } }, 400, 'InvalidParameterValue', 'at most');
    const { aws_secret_key: _secret, ...onlyAccess } = fields;
    await expectError({ s3_fields: onlyAccess }, 400, 'ParamsNeeded', 's3_fields.aws_secret_key');
    await expectError({ s3_fields: { ...fields, region: 'eu west' } }, 400, 'InvalidParameterValue', 's3_fields.region');
    await expectError({ s3_fields: { ...fields, endpoint: 'ftp://files.example' } }, 400, 'InvalidParameterValue', 's3_fields.endpoint');
    await expectError({ s3_fields: { ...fields, endpoint: 'https://user:pw@s3.example' } }, 400, 'InvalidParameterValue', 'credentials');
    await expectError({ s3_fields: { ...fields, force_path_style: 1 } }, 400, 'InvalidParamType', 's3_fields.force_path_style');
  });

  it('answers a clear 400 for the channels Squidship does not deliver to, and stores nothing', async () => {
    const fresh = (await server.request('POST', '/v1/squids', { name: 'no channels' })).body.id as string;
    const response = await expectError({ ftp_fields: { host: 'sftp.example.com' } }, 400, 'DeliveryChannelNotAvailable', 'SFTP', fresh);
    expect(response.body.errors.message).toContain('does not deliver to');
    await expectError({ 'google_sheet_fields.url': 'https://docs.google.com/x' }, 400, 'DeliveryChannelNotAvailable', 'Google Sheets', fresh);
    await expectError({ email: 'user@example.com', notifications: true }, 400, 'DeliveryChannelNotAvailable', 'email', fresh);
    await expectError({ s3_fields: fields, ftp_fields: {} }, 400, 'DeliveryChannelNotAvailable', 'SFTP', fresh);
    expect(await server.store.listDestinations(fresh)).toEqual([]);
    expect((await server.request('GET', `/v1/squids/${fresh}`)).body.s3_fields).toBeNull();
  });

  it('answers 404 for an unknown squid or another account\'s, 400 without ?squid, 401 without a token', async () => {
    await expectError({ s3_fields: fields }, 404, 'SquidDoesNotExistException', 'Squid', 'f'.repeat(32));
    const other = await server.createAccountWithToken('someone else');
    const foreign = await server.request('POST', `/v1/delivery?squid=${squidId}`, { s3_fields: fields }, { authorization: `Token ${other.token}` });
    expect(foreign.status).toBe(404);
    expect(foreign.body.errors.type).toBe('SquidDoesNotExistException');
    const noSquid = await server.request('POST', '/v1/delivery', { s3_fields: fields });
    expect(noSquid.status).toBe(400);
    expect(noSquid.body.errors.type).toBe('ParamsNeeded');
    const noToken = await server.request('POST', `/v1/delivery?squid=${squidId}`, { s3_fields: fields }, { authorization: '' });
    expect(noToken.status).toBe(401);
  });

  it('answers 400 DeliveryChannelNotAvailable on the test endpoints of other channels', async () => {
    for (const [route, name] of [['test-email', 'email'], ['test-googlesheet', 'Google Sheets'], ['test-sftp', 'SFTP']]) {
      const response = await server.request('POST', `/v1/delivery/${route}`, { url: 'https://example.com' });
      expect(response.status, route).toBe(400);
      expect(response.body.errors.type).toBe('DeliveryChannelNotAvailable');
      expect(response.body.errors.message).toContain(name);
    }
  });
});
