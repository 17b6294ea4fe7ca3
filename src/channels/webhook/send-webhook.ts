// One POST of an event to a webhook URL: through the egress policy (checked on the address the
// socket connects to), no redirects followed, a timeout on the whole exchange, and at most the
// first 1 KiB of the answer kept for the history (the rest is drained and dropped).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { EndpointAnswer } from '../../domain/types.js';
import { EgressRefusedError, type EgressPolicy } from '../../egress/egress-policy.js';

const EXCERPT_BYTES = 1024;

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  egress: EgressPolicy;
  signal?: AbortSignal;
  now: () => number;
}

/** A send that got no 2xx: the answer when there was one, and why. */
export class WebhookSendError extends Error {
  constructor(
    readonly reason: 'status' | 'timeout' | 'connection' | 'egress' | 'aborted',
    readonly answer: EndpointAnswer,
    options?: { cause?: unknown; message?: string },
  ) {
    super(options?.message ?? reason, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WebhookSendError';
  }
}

/** Resolves with the answer when the endpoint answers 2xx; else rejects with WebhookSendError. */
export async function sendWebhook(input: WebhookRequest): Promise<EndpointAnswer> {
  const url = new URL(input.url);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const startedMs = input.now();
  const noAnswer = (): EndpointAnswer => ({ statusCode: null, latencyMs: input.now() - startedMs, bodyExcerpt: null });
  // An IP literal never goes through `lookup`: it is checked here instead.
  const literalRefusal = isIP(host) === 0 ? null : input.egress.refusalOf(host, host, port);
  if (literalRefusal !== null) throw new WebhookSendError('egress', noAnswer(), { message: literalRefusal });
  const timeout = AbortSignal.timeout(input.timeoutMs);
  const signal = input.signal === undefined ? timeout : AbortSignal.any([timeout, input.signal]);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  try {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const request = send(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(input.body)), 'user-agent': 'Squidship-Webhooks', ...input.headers },
        lookup: input.egress.lookupFor(port),
        signal,
        agent: false,
      });
      request.once('response', resolve);
      request.once('error', reject);
      request.end(input.body);
    });
    const excerpt = await readExcerpt(response);
    const answer: EndpointAnswer = { statusCode: response.statusCode ?? null, latencyMs: input.now() - startedMs, bodyExcerpt: excerpt };
    if (answer.statusCode === null || answer.statusCode < 200 || answer.statusCode > 299) {
      throw new WebhookSendError('status', answer, { message: `the endpoint answered ${answer.statusCode}` });
    }
    return answer;
  } catch (error) {
    if (error instanceof WebhookSendError) throw error;
    if (error instanceof EgressRefusedError) throw new WebhookSendError('egress', noAnswer(), { cause: error, message: error.message });
    if (timeout.aborted) throw new WebhookSendError('timeout', noAnswer(), { cause: error, message: `no answer within ${input.timeoutMs} ms` });
    if (input.signal?.aborted) throw new WebhookSendError('aborted', noAnswer(), { cause: error, message: 'the attempt was interrupted' });
    const code = (error as NodeJS.ErrnoException).code;
    throw new WebhookSendError('connection', noAnswer(), { cause: error, message: code ?? (error as Error).message });
  }
}

async function readExcerpt(response: IncomingMessage): Promise<string> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (keptBytes >= EXCERPT_BYTES) continue;
    const part = chunk.subarray(0, EXCERPT_BYTES - keptBytes);
    kept.push(part);
    keptBytes += part.length;
  }
  return Buffer.concat(kept).toString('utf8');
}
