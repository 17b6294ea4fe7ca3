// Logger options for the HTTP app and the worker: pino JSON (or pretty lines, SQUIDSHIP_LOG_FORMAT)
// with the request id on every line (Fastify's child logger adds `reqId`), the Authorization
// header and every secret field redacted.
import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../config/config.js';
import { createPrettyLogStream } from './pretty-log-stream.js';

/** Field names that hold secrets wherever they appear (one or two levels deep). */
const SECRET_FIELDS = ['aws_secret_key', 'aws_access_key', 'secretAccessKey', 'accessKeyId', 'token', 'authorization'];

export const REDACT_PATHS: string[] = [
  'req.headers.authorization',
  'headers.authorization',
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
];

/** Query parameters that may carry a credential (signed download URLs, tokens). */
const SECRET_QUERY = /([?&](?:token|signature|sig|key|aws_secret_key|aws_access_key)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[Redacted]');
}

interface LoggedRequest {
  method: string;
  url: string;
  id: string;
  ip: string;
}

export function createLoggerOptions(
  config: Config,
  logger: FastifyServerOptions['logger'] | boolean | undefined,
): FastifyServerOptions['logger'] {
  if (logger === false) return false;
  const base = typeof logger === 'object' && logger !== null ? logger : {};
  return {
    level: config.logLevel,
    ...(isPrettyLogFormat(config) ? { stream: createPrettyLogStream(process.stdout) } : {}),
    ...base,
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    serializers: {
      // Fastify's default request serializer logs the raw URL; a signed URL's signature is a secret.
      req: (request: LoggedRequest) => ({ method: request.method, url: redactUrl(request.url), ip: request.ip }),
    },
  };
}

/** Pretty lines for a person at a terminal; JSON for log collectors (and whenever stdout is piped). */
function isPrettyLogFormat(config: Config): boolean {
  return config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY === true);
}

const LEVEL_ORDER: readonly Config['logLevel'][] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * The log level of a route that probes hit every few seconds (health, metrics): at least `warn`,
 * so its request lines stay out of the log at info, and never below the configured level.
 */
export function selectProbeLogLevel(config: Config): Config['logLevel'] {
  return LEVEL_ORDER.indexOf(config.logLevel) > LEVEL_ORDER.indexOf('warn') ? config.logLevel : 'warn';
}
