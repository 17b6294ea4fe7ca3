// GET /v1/runs/{id}/download answers `{"s3": "<signed URL>"}` as Lobstr documents; the URL points
// back at Squidship (GET /v1/runs/{id}/export.csv?expires=&signature=), which streams the same
// CSV bytes every S3 delivery uploads, without the API token, until the link expires.
import type { FastifyPluginAsync } from 'fastify';
import { AppError, notFound } from '../../domain/app-error.js';
import type { Run } from '../../domain/types.js';
import { checkRunDownload, renderRunDownloadUrl } from '../../delivery/download-signature.js';
import { renderExportFileName } from '../../delivery/export-file-name.js';
import { DEFAULT_FORMAT_ID, listOutputFormatIds } from '../../export/formats/index.js';
import { openExport, RUN_RESULTS_CHANGED } from '../../export/pipeline.js';
import { startResponseBody } from '../../export/response-body.js';
import type { AppDeps } from '../app-deps.js';
import { requireAccount } from '../auth.js';
import { errorResponses, idParamsSchema, markExtension, type IdParams } from '../schemas.js';

/** Lobstr's undocumented `file_format` (seen in lobstr-mcp): one of the registered formats. */
interface DownloadQuery {
  file_format?: string;
}

interface SignedQuery {
  expires?: string;
  signature?: string;
}

/** Rows are final once the run has ended (uploading, done, aborted): export bytes come from the store. */
function isExportable(run: Run): boolean {
  return run.endedAtMs !== null && run.status !== 'pending' && run.status !== 'running' && run.status !== 'paused';
}

/**
 * Read before the status line is sent: all of a file smaller than this (most runs), so any
 * failure of it is an error answer; of a larger one, its start (the export's first chunk).
 */
const DOWNLOAD_HEAD_BYTES = 1024 * 1024;

function exportNotReady(): AppError {
  return notFound('RunDoesNotExist', 'Run not found or export not ready: a run can be downloaded once it has been completed or aborted.', 'id');
}

export function createDownloadRoutes(deps: AppDeps): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: IdParams; Querystring: DownloadQuery }>('/runs/:id/download', {
      schema: {
        operationId: 'getRunDownload',
        summary: 'Get a link to a run\'s CSV',
        tags: ['Runs'],
        description:
          'A signed URL of the run\'s CSV export, served by Squidship itself and usable without the API token until it expires ' +
          '(SQUIDSHIP_DOWNLOAD_URL_TTL_SECONDS). 404 while the run has not ended.',
        params: idParamsSchema,
        querystring: { type: 'object', properties: { file_format: { type: 'string', enum: listOutputFormatIds(), description: 'One of the server\'s output formats (the default one today).' } } },
        response: {
          200: { type: 'object', properties: { s3: { type: 'string' } } },
          ...errorResponses(400, 401, 404),
        },
      },
    }, async (request) => {
      const account = requireAccount(request);
      const run = await deps.store.getRun(account.id, request.params.id.toLowerCase());
      if (run === null || !isExportable(run)) throw exportNotReady();
      const expiresUnix = Math.floor(deps.clock() / 1000) + deps.config.downloadUrlTtlSeconds;
      return { s3: renderRunDownloadUrl(deps.publicUrl, deps.urlSigningKey, run.id, expiresUnix) };
    });

    app.get<{ Params: IdParams; Querystring: SignedQuery }>('/runs/:id/export.csv', {
      config: { public: true },
      schema: markExtension({
        operationId: 'downloadRunExport',
        summary: 'Download a run\'s CSV through a signed link',
        security: [],
        description:
          'the signed download link handed out by GET /v1/runs/{id}/download: the run\'s CSV (text/csv; charset=utf-8, as an attachment). ' +
          'No token; 403 InvalidSignature or DownloadLinkExpired.',
        params: idParamsSchema,
        querystring: { type: 'object', properties: { expires: { type: 'string' }, signature: { type: 'string' } } },
        response: { 200: { description: 'The run\'s CSV, as an attachment.', content: { 'text/csv': { schema: { type: 'string' } } } }, ...errorResponses(403, 404) },
      }),
    }, async (request, reply) => {
      const { id } = request.params;
      const check = checkRunDownload(deps.urlSigningKey, id, request.query.expires, request.query.signature, deps.clock());
      if (check === 'expired') throw new AppError('DownloadLinkExpired', 'This download link has expired: ask GET /v1/runs/{id}/download for a new one.', { status: 403 });
      if (check !== 'valid') throw new AppError('InvalidSignature', 'This download link is not valid: ask GET /v1/runs/{id}/download for a new one.', { status: 403 });
      const run = await deps.store.getRunById(id);
      const squid = run === null ? null : await deps.store.getSquidById(run.squidId);
      if (run === null || squid === null || !isExportable(run)) throw exportNotReady();
      const fileName = run.exportFileName ?? renderExportFileName(squid.name, run.endedAtMs ?? run.startedAtMs, run.id);
      const exported = openExport(deps.store, run, squid, { format: DEFAULT_FORMAT_ID, nativeEncoders: deps.config.nativeCsv });
      // Nothing is sent until the first bytes (or the whole file) are read: a failure there answers an error.
      const body = await startResponseBody(exported, DOWNLOAD_HEAD_BYTES).catch(async (error: unknown) => {
        if (error instanceof AppError && error.code === RUN_RESULTS_CHANGED && (await deps.store.getRunById(run.id)) === null) throw exportNotReady();
        throw error;
      });
      void reply
        .header('content-type', exported.contentType)
        .header('content-disposition', `attachment; filename=${fileName}.${exported.extension}`)
        .header('cache-control', 'private, no-store');
      // A failure after the start errors the stream, and Fastify then destroys the connection
      // mid-body: the client sees a chunked body without its last chunk (docs/api.md).
      return reply.send(body.complete ? body.bytes : body.stream);
    });
  };
}
