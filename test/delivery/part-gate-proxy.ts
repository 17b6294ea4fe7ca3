// A loopback proxy in front of s3rver that holds chosen uploads in flight: it reads their body
// and never answers, as a slow or stalled S3 would, while every other request (the
// AbortMultipartUpload that cleans up included) passes. Lets a test stop a worker, or steal its
// lease, while its upload is provably still under way. With `park`, held requests wait unread
// until `release()` forwards them, so the upload goes on from where it was held.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';

export interface PartGateProxy {
  endpoint: string;
  /** Requests being held right now. */
  readonly held: number;
  /** Parked gates only: forwards the held requests, and every later one. */
  release(): void;
  close(): Promise<void>;
}

export interface PartGateOptions {
  /** Hold requests unread, to forward them at release(); default: read their body and never answer. */
  park?: boolean;
}

/** `hold(method, url)` says which requests to hold; e.g. UploadPart number 2, or any PutObject. */
export async function startPartGateProxy(
  upstreamEndpoint: string,
  hold: (method: string, url: URL) => boolean,
  options: PartGateOptions = {},
): Promise<PartGateProxy> {
  const upstream = new URL(upstreamEndpoint);
  let held = 0;
  let released = false;
  const parked: Array<() => void> = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gate');
    if (!released && hold(req.method ?? 'GET', url)) {
      held += 1;
      if (options.park === true) {
        parked.push(() => {
          held -= 1;
          forward(req, res, upstream);
        });
        return;
      }
      req.resume(); // take the body, answer nothing
      req.socket.once('close', () => {
        held -= 1;
      });
      return;
    }
    forward(req, res, upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get held() {
      return held;
    },
    release() {
      released = true;
      for (const forwardParked of parked.splice(0)) forwardParked();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export function isUploadPart(method: string, url: URL, fromPart = 1): boolean {
  return method === 'PUT' && url.searchParams.has('uploadId') && Number(url.searchParams.get('partNumber')) >= fromPart;
}

export function isPutObject(method: string, url: URL): boolean {
  return method === 'PUT' && !url.searchParams.has('uploadId');
}

function forward(req: IncomingMessage, res: ServerResponse, upstream: URL): void {
  const upstreamReq = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } });
  upstreamReq.on('response', (upstreamRes) => {
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
    pipeline(upstreamRes, res).catch(() => req.socket.destroy());
  });
  pipeline(req, upstreamReq).catch(() => req.socket.destroy());
  upstreamReq.on('error', () => req.socket.destroy());
}
