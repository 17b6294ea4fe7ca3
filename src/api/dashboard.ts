// The dashboard's built files (dist/web, written by scripts/build-web.mjs), served by the API
// process at / from memory: a handful of small files, each a public route (the page asks for
// the token itself and talks to /v1 like any client). Asset names carry their content hash, so
// they are cached for a year; index.html is revalidated so a new build is picked up at once.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderErrorBody } from './errors.js';

/** <repo>/dist/web from src/api (tsx, tests) and dist/api (the build) alike. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ndjson': 'application/x-ndjson',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
};

/**
 * No inline script or style, nothing from another origin, no framing; signed download links
 * must not leak through Referer. Sent on every dashboard file.
 */
export const DASHBOARD_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';

interface WebFile {
  body: Buffer;
  gzipped: Buffer;
  contentType: string;
  cacheControl: string;
}

function listFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

function loadWebFile(path: string, urlPath: string): WebFile {
  const body = readFileSync(path);
  return {
    body,
    gzipped: gzipSync(body),
    contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
    cacheControl: urlPath.startsWith('/assets/') ? IMMUTABLE : 'no-cache',
  };
}

function sendWebFile(file: WebFile, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const gzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
  void reply.headers(DASHBOARD_SECURITY_HEADERS).header('content-type', file.contentType).header('cache-control', file.cacheControl).header('vary', 'accept-encoding');
  if (gzip) void reply.header('content-encoding', 'gzip');
  return reply.send(gzip ? file.gzipped : file.body);
}

/** Registers GET / and one route per built file; without a build, / says how to make one. */
export function registerDashboard(app: FastifyInstance, webRoot: string = DEFAULT_WEB_ROOT): void {
  const hide = { hide: true };
  if (!existsSync(join(webRoot, 'index.html'))) {
    app.get('/', { schema: hide, config: { public: true } }, async (_request, reply) => {
      const message = 'The dashboard is not built: run `npm run build:web` (npm ci does it) and restart.';
      return reply.status(404).send(renderErrorBody(404, 'DashboardNotBuilt', message));
    });
    return;
  }
  for (const path of listFiles(webRoot)) {
    const urlPath = '/' + relative(webRoot, path).split(sep).join('/');
    const file = loadWebFile(path, urlPath);
    const route = urlPath === '/index.html' ? '/' : urlPath;
    app.get(route, { schema: hide, config: { public: true } }, async (request, reply) => sendWebFile(file, request, reply));
  }
}
