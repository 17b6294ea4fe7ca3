// The HTTP server's connection settings: timeouts from SQUIDSHIP_HTTP_*, the client address
// behind a proxy, and the handlers that give Node's and Fastify's own rejections our error shape.
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { HttpLimits } from '../config/config.js';
import { handleClientError, handleFrameworkError, MAX_PATH_PARAMETER_LENGTH } from './framework-errors.js';

export function createConnectionOptions(http: HttpLimits): FastifyServerOptions {
  return {
    connectionTimeout: http.idleTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    // Off: NDJSON pushes stream for as long as they have rows; a stalled one meets the idle timeout.
    requestTimeout: 0,
    // One hop: the address the balancer saw, not what a client wrote into X-Forwarded-For itself.
    trustProxy: http.trustProxy ? (_address: string, hop: number) => hop === 0 : false,
    routerOptions: { maxParamLength: MAX_PATH_PARAMETER_LENGTH },
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: handleClientError,
  };
}

/**
 * Node checks header deadlines on a timer, every 30 s by default: a quarter of the timeout
 * closes a client that trickles its headers near its deadline instead of up to 30 s after it.
 * Call before listen (Node starts the timer on listening).
 */
export function applyHeadersTimeout(app: FastifyInstance, http: HttpLimits): void {
  const server = app.server as typeof app.server & { connectionsCheckingInterval: number };
  server.headersTimeout = http.headersTimeoutMs;
  server.connectionsCheckingInterval = Math.min(30_000, Math.max(250, Math.floor(http.headersTimeoutMs / 4)));
}
