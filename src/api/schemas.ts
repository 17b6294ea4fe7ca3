// JSON schemas shared by the routes: they validate requests and generate the OpenAPI document.
// Response schemas keep `additionalProperties: true` so that serialisation never drops a field.
import type { ChannelRegistry } from '../channels/registry.js';
import { errorBodySchema } from './errors.js';

export const HEX_ID_PATTERN = '^[0-9a-fA-F]{32}$';

export const EXTENSION_TAG = 'Squidship extensions';

/**
 * Marks a route schema as ours, not Lobstr's: a description prefix, and the extensions tag in
 * place of its resource's tag, so that /docs lists each extension once (under that tag).
 */
export function markExtension<T extends { description?: string }>(schema: T): T & { tags: string[] } {
  return {
    ...schema,
    description: `Squidship extension: ${schema.description ?? ''}`.trim(),
    tags: [EXTENSION_TAG],
  };
}

/** `{ 400: errorBody, 404: errorBody, ... }` for a route's `response` map. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorBodySchema> {
  return Object.fromEntries(statuses.map((status) => [status, errorBodySchema]));
}

export const idParamsSchema = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', description: 'A 32-character hex id.' } },
} as const;

export interface IdParams {
  id: string;
}

const nullableString = { type: ['string', 'null'] } as const;
const nullableBoolean = { type: ['boolean', 'null'] } as const;

export const runSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    object: { type: 'string', enum: ['run'] },
    squid: { type: 'string' },
    is_done: { type: 'boolean' },
    started_at: nullableString,
    total_results: { type: 'integer' },
    total_unique_results: { type: 'integer' },
    next_launch_at: nullableString,
    ended_at: nullableString,
    duration: { type: 'number', description: 'Seconds from start to end (or to now while running).' },
    credit_used: { type: 'number' },
    origin: { type: 'string' },
    force_launch: { type: 'boolean' },
    status: { type: 'string', enum: ['pending', 'running', 'paused', 'uploading', 'done', 'aborted', 'error'] },
    export_done: nullableBoolean,
    export_count: { type: 'integer' },
    export_time: nullableString,
    email_done: nullableBoolean,
    email_time: nullableString,
    created_at: nullableString,
    done_reason: nullableString,
    done_reason_desc: nullableString,
  },
} as const;

const unconfiguredChannel = { type: ['object', 'null'], additionalProperties: true, description: 'null: not configured (not supported by Squidship).' } as const;

/** Lobstr's `*_fields` keys that no channel of Squidship fills yet (null unless registered). */
export const LOBSTR_UNBUILT_FIELDS = ['webhook_fields', 'ftp_fields', 'google_sheet_fields', 'slack_fields'];

/** The squid view's schema: the registered channels' `*_fields` first, then Lobstr's others. */
export function createSquidSchema(channels: ChannelRegistry) {
  const fields: Record<string, unknown> = {};
  for (const channel of channels.list) fields[channel.fieldsKey] = { type: ['object', 'null'], additionalProperties: true, ...channel.fieldsSchema };
  for (const key of LOBSTR_UNBUILT_FIELDS) fields[key] ??= unconfiguredChannel;
  return { ...squidBaseSchema, properties: { ...squidBaseSchema.properties, ...fields } };
}

const squidBaseSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    object: { type: 'string' },
    name: { type: 'string' },
    crawler: { type: 'string' },
    crawler_name: nullableString,
    account: { type: 'array', items: { type: 'string' } },
    concurrency: { type: 'integer' },
    created_at: { type: 'string' },
    is_active: { type: 'boolean' },
    is_ready: { type: 'boolean' },
    params: { type: 'object', additionalProperties: true },
    schedule: { type: 'null' },
    next_launch_at: nullableString,
    to_complete: { type: 'boolean' },
    export_unique_results: { type: 'boolean' },
    no_line_breaks: { type: 'boolean' },
    email: nullableString,
    notifications: { type: 'boolean' },
    last_run: nullableString,
    last_run_status: nullableString,
    last_run_at: nullableString,
    last_run_done_reason: nullableString,
    total_runs: { type: 'integer' },
  },
} as const;

export const crawlerSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    object: { type: 'string' },
    name: { type: 'string' },
    slug: { type: 'string' },
  },
} as const;

export const resultSchema = {
  type: 'object',
  additionalProperties: true,
  description: 'The row\'s own fields, plus id, object, squid, run and scraping_time.',
  properties: {
    id: { type: 'string' },
    object: { type: 'string' },
    squid: { type: 'string' },
    run: { type: 'string' },
    scraping_time: { type: 'string' },
  },
} as const;
