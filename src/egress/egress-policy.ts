// The one check every user-given address passes before Squidship connects to it (webhook URLs,
// S3 endpoints): the host is resolved, and link-local and metadata addresses are refused always,
// loopback and private ranges unless the operator allows them (SQUIDSHIP_EGRESS_ALLOW). The
// check runs in the socket's own `lookup`, so the address checked is the address connected to.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { AppError } from '../domain/app-error.js';

/** Never reachable, whatever the allow list says: link-local and cloud metadata addresses. */
const ALWAYS_REFUSED: readonly string[] = ['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254/128', '100.100.100.200/32'];
/** Reachable only when the allow list names them: this host, private and shared networks. */
const INTERNAL: readonly string[] = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '172.16.0.0/12', '192.0.0.0/24', '192.168.0.0/16',
  '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4', '::/128', '::1/128', 'fc00::/7', 'ff00::/8',
];

export interface EgressPolicy {
  /** null when `address` (an IP) may be connected to, else why not. */
  refusalOf(address: string, host: string, port: number): string | null;
  /** A `lookup` for a socket to `port` (http.request, agents): resolves, then refuses with EgressRefusedError. */
  lookupFor(port: number): LookupFunction;
  /**
   * Resolves the URL's host and throws AppError EgressRefused (400) if any address is refused.
   * A host that does not resolve passes: its connection fails (or is checked) when it is made.
   */
  assertUrlAllowed(url: URL): Promise<void>;
}

/** A refused address: permanent, and no connection was attempted. */
export class EgressRefusedError extends Error {
  readonly code = 'EgressRefused';
  constructor(message: string) {
    super(message);
    this.name = 'EgressRefusedError';
  }
}

export interface EgressPolicyOptions {
  /** CIDRs the operator allows (SQUIDSHIP_EGRESS_ALLOW). */
  allow: readonly string[];
  /** `host:port` origins always allowed: the embedded S3 endpoint and SQUIDSHIP_S3_ENDPOINT. */
  implicitOrigins: readonly string[];
  /** How host names resolve; default the system's (dns.lookup). Tests give a hermetic one. */
  resolveHost?: HostResolver;
}

/** Every address of a host name; rejects (ENOTFOUND...) when it has none. */
export type HostResolver = (host: string) => Promise<LookupAddress[]>;

function resolveWithSystem(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });
}

export function createEgressPolicy(options: EgressPolicyOptions): EgressPolicy {
  const refused = createBlockList(ALWAYS_REFUSED);
  const internal = createBlockList(INTERNAL);
  const allowed = createBlockList(options.allow);
  const implicit = new Set(options.implicitOrigins.map((origin) => origin.toLowerCase()));

  const refusalOf = (address: string, host: string, port: number): string | null => {
    if (implicit.has(`${host.toLowerCase()}:${port}`)) return null;
    const plain = unmapIpv4(address);
    const family = isIP(plain) === 6 ? 'ipv6' : 'ipv4';
    if (refused.check(plain, family)) return `${host} resolves to ${address}, a link-local or metadata address, which Squidship never connects to`;
    if (internal.check(plain, family) && !allowed.check(plain, family)) {
      return `${host} resolves to ${address}, a loopback or private address; the operator can allow it with SQUIDSHIP_EGRESS_ALLOW`;
    }
    return null;
  };

  const resolveHost = options.resolveHost ?? resolveWithSystem;
  const lookupFor = (port: number) => ((hostname: string, lookupOptions: { all?: boolean; family?: number }, callback: (...args: unknown[]) => void) => {
    resolveHost(hostname).then(
      (resolved) => {
        const wanted = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : null;
        const addresses = wanted === null ? resolved : resolved.filter((entry) => entry.family === wanted);
        for (const entry of addresses) {
          const refusal = refusalOf(entry.address, hostname, port);
          if (refusal !== null) return callback(new EgressRefusedError(refusal));
        }
        const [first] = addresses;
        if (first === undefined) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
        return lookupOptions.all === true ? callback(null, addresses) : callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error),
    );
  }) as unknown as LookupFunction;

  return {
    refusalOf,
    lookupFor,
    async assertUrlAllowed(url) {
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
      if (implicit.has(`${host.toLowerCase()}:${port}`)) return;
      // A host that does not resolve passes: connecting to it fails (or is checked) on its own.
      const addresses = isIP(host) !== 0 ? [host] : (await resolveHost(host).catch(() => [])).map((entry) => entry.address);
      for (const address of addresses) {
        const refusal = refusalOf(address, host, port);
        if (refusal !== null) throw new AppError('EgressRefused', `Squidship will not connect to ${url.origin}: ${refusal}.`, { status: 400 });
      }
    },
  };
}

/** `host:port` of a URL, as the policy's implicit origins are written. */
export function renderOrigin(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  return `${parsed.hostname.replace(/^\[(.*)\]$/, '$1')}:${port}`;
}

/** Parses a CIDR list (`127.0.0.1/32,::1/128`); throws with the first bad entry. */
export function parseCidrList(text: string): string[] {
  const entries = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of entries) createBlockList([entry]);
  return entries;
}

function createBlockList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', bits] = cidr.split('/');
    const family = isIP(address);
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw new Error(`"${cidr}" is not a CIDR block (like 10.0.0.0/8 or ::1/128)`);
    }
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** `::ffff:127.0.0.1` is 127.0.0.1: checked as IPv4, so a mapped address cannot slip through. */
function unmapIpv4(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match?.[1] ?? address;
}

