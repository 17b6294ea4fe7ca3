// Host names for tests without any DNS query leaving the machine: `localhost` is loopback, every
// other name does not exist (ENOTFOUND), as on a machine with no resolver.
import type { LookupAddress } from 'node:dns';

export async function resolveHostHermetically(host: string): Promise<LookupAddress[]> {
  if (host.toLowerCase() === 'localhost') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host });
}
