// Lobstr's pagination: `page` (1-based) and `limit` (default 50, at most 100; `page_size`, which
// Lobstr's SDK sends, is an alias), answered in the documented envelope with full next/previous URLs.
import type { FastifyRequest } from 'fastify';
import type { PageRequest } from '../storage/store.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;
/** The last page whose offset is still an exact integer in JavaScript and both databases. */
export const MAX_PAGE = Math.floor(Number.MAX_SAFE_INTEGER / MAX_LIMIT);

/** Spread into a route's querystring schema `properties`. */
export const paginationQueryProperties = {
  page: { type: 'integer', minimum: 1, maximum: MAX_PAGE, description: `Page number, from 1 to ${MAX_PAGE}. Default 1.` },
  limit: { type: 'integer', minimum: 1, description: `Items per page. Default ${DEFAULT_LIMIT}; values above ${MAX_LIMIT} are capped to ${MAX_LIMIT}.` },
  page_size: { type: 'integer', minimum: 1, description: 'Alias of `limit` (Lobstr\'s SDK sends it). `limit` wins when both are given.' },
} as const;

export interface PaginationQuery {
  page?: number;
  limit?: number;
  page_size?: number;
}

export interface PageWindow extends PageRequest {
  page: number;
}

export interface PageEnvelope<T> {
  total_results: number;
  limit: number;
  page: number;
  total_pages: number;
  result_from: number;
  result_to: number;
  next: string | null;
  previous: string | null;
  data: T[];
}

/** JSON schema of the envelope around `itemSchema`, for the OpenAPI document. */
export function pageEnvelopeSchema(itemSchema: object): object {
  return {
    type: 'object',
    properties: {
      total_results: { type: 'integer' },
      limit: { type: 'integer' },
      page: { type: 'integer' },
      total_pages: { type: 'integer' },
      result_from: { type: 'integer' },
      result_to: { type: 'integer' },
      next: { type: ['string', 'null'] },
      previous: { type: ['string', 'null'] },
      data: { type: 'array', items: itemSchema },
    },
  };
}

export function readPageWindow(query: PaginationQuery): PageWindow {
  const page = query.page ?? 1;
  const limit = Math.min(query.limit ?? query.page_size ?? DEFAULT_LIMIT, MAX_LIMIT);
  return { page, limit, offset: (page - 1) * limit };
}

export function renderPage<T>(request: FastifyRequest, window: PageWindow, total: number, data: T[]): PageEnvelope<T> {
  const totalPages = Math.ceil(total / window.limit);
  return {
    total_results: total,
    limit: window.limit,
    page: window.page,
    total_pages: totalPages,
    result_from: data.length === 0 ? 0 : window.offset + 1,
    result_to: window.offset + data.length,
    next: window.page < totalPages ? renderPageUrl(request, window.page + 1) : null,
    previous: window.page > 1 ? renderPageUrl(request, Math.min(window.page - 1, Math.max(totalPages, 1))) : null,
    data,
  };
}

/** The request's own URL with another page number, as the client reached this server. */
function renderPageUrl(request: FastifyRequest, page: number): string {
  const url = new URL(request.url, `${request.protocol}://${request.host}`);
  url.searchParams.set('page', String(page));
  return url.toString();
}
