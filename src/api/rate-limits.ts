// Request rate limits: per client address (every route but health probes), per account (all its
// tokens), and failed token checks per address (against token guessing). Over a limit the answer
// is 429 RateLimitExceeded in the error shape, with Retry-After and X-RateLimit-* as Lobstr sends.
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { AccountLimits } from '../config/config.js';
import type { Clock } from '../domain/clock.js';
import { renderErrorBody } from './errors.js';
import { createFixedWindowCounter, type FixedWindowCounter, type WindowCount } from './fixed-window-counter.js';

const WINDOW_MS = 60_000;
/** Addresses or accounts remembered per counter; beyond it the oldest window is forgotten. */
const MAX_KEYS = 10_000;
/** Probes from orchestrators and monitors are never limited. */
const UNLIMITED_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

export interface RequestLimits {
  /** onRequest hook of the app: the per-address limit. */
  limitAddress: onRequestAsyncHookHandler;
  /** True (and the 429 sent) when the address has failed too many token checks this window. */
  refuseGuessingAddress(request: FastifyRequest, reply: FastifyReply): boolean;
  recordAuthFailure(request: FastifyRequest): void;
  /** Counts the account's request; true (and the 429 sent) when it is over its limit. */
  refuseAccountOverLimit(accountId: string, reply: FastifyReply): boolean;
}

interface Limit {
  perWindow: number;
  counter: FixedWindowCounter;
}

function createLimit(perWindow: number): Limit | null {
  return perWindow === 0 ? null : { perWindow, counter: createFixedWindowCounter(WINDOW_MS, MAX_KEYS) };
}

function setRateHeaders(reply: FastifyReply, perWindow: number, window: WindowCount): void {
  void reply.header('x-ratelimit-limit', perWindow);
  void reply.header('x-ratelimit-remaining', Math.max(perWindow - window.count, 0));
  void reply.header('x-ratelimit-reset', Math.ceil(window.resetAtMs / 1000));
}

function sendThrottled(reply: FastifyReply, perWindow: number, window: WindowCount, nowMs: number): void {
  const retryAfterSeconds = Math.max(Math.ceil((window.resetAtMs - nowMs) / 1000), 1);
  setRateHeaders(reply, perWindow, window);
  const message = `Request was throttled. Expected available in ${retryAfterSeconds} seconds.`;
  void reply.header('retry-after', retryAfterSeconds).status(429).send(renderErrorBody(429, 'RateLimitExceeded', message));
}

export function createRequestLimits(limits: AccountLimits, clock: Clock): RequestLimits {
  const perAddress = createLimit(limits.requestsPerIpPerMinute);
  const perAccount = createLimit(limits.requestsPerTokenPerMinute);
  const authFailures = createLimit(limits.authFailuresPerIpPerMinute);
  return {
    async limitAddress(request, reply) {
      if (perAddress === null || UNLIMITED_ROUTES.has(request.routeOptions.url ?? '')) return;
      const nowMs = clock();
      const window = perAddress.counter.hit(request.ip, nowMs);
      if (window.count > perAddress.perWindow) {
        request.log.info({ event: 'request.throttled', limit: 'address' }, 'request.throttled');
        sendThrottled(reply, perAddress.perWindow, window, nowMs);
        return reply;
      }
    },
    refuseGuessingAddress(request, reply) {
      if (authFailures === null) return false;
      const nowMs = clock();
      const window = authFailures.counter.peek(request.ip, nowMs);
      if (window.count < authFailures.perWindow) return false;
      request.log.warn({ event: 'auth.throttled', failures: window.count }, 'auth.throttled');
      sendThrottled(reply, authFailures.perWindow, window, nowMs);
      return true;
    },
    recordAuthFailure(request) {
      authFailures?.counter.hit(request.ip, clock());
    },
    refuseAccountOverLimit(accountId, reply) {
      if (perAccount === null) return false;
      const nowMs = clock();
      const window = perAccount.counter.hit(accountId, nowMs);
      if (window.count <= perAccount.perWindow) {
        setRateHeaders(reply, perAccount.perWindow, window);
        return false;
      }
      sendThrottled(reply, perAccount.perWindow, window, nowMs);
      return true;
    },
  };
}
