// The egress policy: which addresses it refuses, that its lookup refuses before any connection,
// and that S3 settings go through it (configure and test-s3 answer 400, nothing stored).
import { createServer } from 'node:net';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createEgressPolicy, parseCidrList } from '../../src/egress/egress-policy.js';
import { resolveHostHermetically } from '../helpers/hermetic-resolver.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('egress policy', () => {
  const resolveHost = resolveHostHermetically;
  const strict = createEgressPolicy({ allow: [], implicitOrigins: ['s3.internal:9000'], resolveHost });
  const loopback = createEgressPolicy({ allow: parseCidrList('127.0.0.0/8, ::1/128'), implicitOrigins: [], resolveHost });

  it('refuses link-local and metadata always, loopback and private unless allowed', () => {
    for (const address of ['169.254.169.254', 'fe80::1', 'fd00:ec2::254', '100.100.100.200']) {
      expect(strict.refusalOf(address, 'h', 80), address).toContain('link-local or metadata');
      expect(loopback.refusalOf(address, 'h', 80), address).toContain('link-local or metadata');
    }
    for (const address of ['127.0.0.1', '::1', '10.1.2.3', '172.20.0.1', '192.168.1.1', 'fc00::1', '0.0.0.0', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) {
      expect(strict.refusalOf(address, 'h', 80), address).toContain('SQUIDSHIP_EGRESS_ALLOW');
    }
    expect(loopback.refusalOf('127.0.0.1', 'h', 80)).toBeNull();
    expect(loopback.refusalOf('::ffff:127.0.0.1', 'h', 80)).toBeNull();
    expect(loopback.refusalOf('::1', 'h', 80)).toBeNull();
    expect(loopback.refusalOf('10.1.2.3', 'h', 80)).not.toBeNull();
    expect(strict.refusalOf('93.184.216.34', 'h', 80)).toBeNull();
    expect(strict.refusalOf('10.0.0.5', 's3.internal', 9000)).toBeNull();
    expect(strict.refusalOf('10.0.0.5', 's3.internal', 9001)).not.toBeNull();
  });

  it('checks a URL\'s host before any connection: names through the resolver, literals as they are', async () => {
    await expect(strict.assertUrlAllowed(new URL('http://localhost:8080/x'))).rejects.toMatchObject({ code: 'EgressRefused', status: 400 });
    await expect(strict.assertUrlAllowed(new URL('http://[::1]/x'))).rejects.toMatchObject({ code: 'EgressRefused' });
    await expect(loopback.assertUrlAllowed(new URL('http://localhost:8080/x'))).resolves.toBeUndefined();
    await expect(loopback.assertUrlAllowed(new URL('http://169.254.169.254/latest'))).rejects.toMatchObject({ code: 'EgressRefused' });
    await expect(strict.assertUrlAllowed(new URL('https://no-such-host.example/x'))).resolves.toBeUndefined();
    await expect(strict.assertUrlAllowed(new URL('http://s3.internal:9000'))).resolves.toBeUndefined();
  });

  it('rejects a malformed allow list, and the config reports it', () => {
    expect(() => parseCidrList('10.0.0.0/33')).toThrow('not a CIDR block');
    expect(() => loadConfig({ SQUIDSHIP_EGRESS_ALLOW: 'localhost' }, '/tmp')).toThrow('SQUIDSHIP_EGRESS_ALLOW');
    expect(loadConfig({ SQUIDSHIP_EGRESS_ALLOW: '127.0.0.1/32,::1' }, '/tmp').egressAllow).toEqual(['127.0.0.1/32', '::1']);
  });

  it('refuses in the socket\'s lookup: a name resolving to loopback gets no connection', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const sent = request({ host: 'localhost', port, lookup: strict.lookupFor(port) }, () => resolve(new Error('answered')));
      sent.on('error', resolve);
      sent.end();
    });
    expect(error.code).toBe('EgressRefused');
    expect(connections).toBe(0);
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('egress policy on S3 settings', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers 400 EgressRefused for a refused endpoint at configure and test-s3 time, and stores nothing', async () => {
    const squidId = (await server.request('POST', '/v1/squids', { name: 'egress' })).body.id as string;
    for (const endpoint of ['http://169.254.169.254', 'http://10.0.0.1:9000']) {
      const configured = await server.request('POST', `/v1/delivery?squid=${squidId}`, { s3_fields: { bucket: 'my-bucket', is_active: true, target_path: '', endpoint } });
      expect({ endpoint, status: configured.status, type: configured.body.errors?.type }).toEqual({ endpoint, status: 400, type: 'EgressRefused' });
      const tested = await server.request('POST', '/v1/delivery/test-s3', { bucket: 'my-bucket', endpoint });
      expect({ endpoint, status: tested.status, type: tested.body.errors?.type }).toEqual({ endpoint, status: 400, type: 'EgressRefused' });
    }
    expect(await server.store.listDestinations(squidId)).toEqual([]);
  });
});
