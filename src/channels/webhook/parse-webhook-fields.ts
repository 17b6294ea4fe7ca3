// Validates `webhook_fields` (configure) or the test-webhook body: every field Lobstr documents
// is required; `events` is an object of the four `run.*` booleans in both body forms.
import { AppError } from '../../domain/app-error.js';
import type { ParseFieldsOptions, ParsedFields } from '../channel.js';
import { WEBHOOK_EVENTS, type WebhookConfig, type WebhookEvent } from './webhook-config.js';

const MAX_URL_LENGTH = 2048;

export function parseWebhookFields(raw: Record<string, unknown>, { mode, prefix }: ParseFieldsOptions): ParsedFields<WebhookConfig> {
  const fields = foldDottedEvents(raw);
  const allowed = mode === 'configure' ? ['url', 'is_active', 'retry', 'events'] : ['url'];
  const unknown = Object.keys(fields).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new AppError('InvalidParam', `Unknown field ${prefix}${unknown[0]}: the fields are ${allowed.map((key) => prefix + key).join(', ')}.`, { param: `${prefix}${unknown[0]}` });
  }
  const url = parseUrl(fields.url, `${prefix}url`);
  if (mode === 'test') return { isActive: null, config: { url, retry: false, events: parseEvents({}, '', false), secret: null } };
  const isActive = requireBoolean(fields.is_active, `${prefix}is_active`);
  const retry = requireBoolean(fields.retry, `${prefix}retry`);
  if (fields.events === undefined) throw missing(`${prefix}events`);
  if (typeof fields.events !== 'object' || fields.events === null || Array.isArray(fields.events)) {
    throw new AppError('InvalidParamType', `Invalid type for field ${prefix}events: expected an object of ${WEBHOOK_EVENTS.join(', ')} booleans.`, { param: `${prefix}events` });
  }
  const events = parseEvents(fields.events as Record<string, unknown>, `${prefix}events.`, true);
  return { isActive, config: { url, retry, events, secret: null } };
}

/** Form bodies spell events as `webhook_fields.events.run.done=true`: folded into `events`. */
function foldDottedEvents(fields: Record<string, unknown>): Record<string, unknown> {
  const dotted = Object.keys(fields).filter((key) => key.startsWith('events.'));
  if (dotted.length === 0 || fields.events !== undefined) return fields;
  const folded: Record<string, unknown> = Object.fromEntries(Object.entries(fields).filter(([key]) => !key.startsWith('events.')));
  folded.events = Object.fromEntries(dotted.map((key) => [key.slice('events.'.length), fields[key]]));
  return folded;
}

function parseEvents(raw: Record<string, unknown>, prefix: string, required: boolean): Record<WebhookEvent, boolean> {
  const unknown = Object.keys(raw).filter((key) => !(WEBHOOK_EVENTS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new AppError('InvalidParam', `Unknown event ${prefix}${unknown[0]}: the events are ${WEBHOOK_EVENTS.join(', ')}.`, { param: `${prefix}${unknown[0]}` });
  }
  const entries = WEBHOOK_EVENTS.map((event) => [event, required ? requireBoolean(raw[event], prefix + event) : false] as const);
  return Object.fromEntries(entries) as Record<WebhookEvent, boolean>;
}

function parseUrl(value: unknown, param: string): string {
  if (value === undefined || value === null || value === '') throw missing(param);
  if (typeof value !== 'string') throw new AppError('InvalidParamType', `Invalid type for field ${param}: expected a string.`, { param });
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new AppError('InvalidParameterValue', `Invalid value for field ${param}: not a URL.`, { param, cause: error });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AppError('InvalidParameterValue', `Invalid value for field ${param}: an http:// or https:// URL.`, { param });
  }
  if (url.username !== '' || url.password !== '') {
    throw new AppError('InvalidParameterValue', `Invalid value for field ${param}: credentials in the URL are not accepted.`, { param });
  }
  if (value.length > MAX_URL_LENGTH) {
    throw new AppError('InvalidParameterValue', `Invalid value for field ${param}: at most ${MAX_URL_LENGTH} characters.`, { param });
  }
  return url.toString();
}

function requireBoolean(value: unknown, param: string): boolean {
  if (value === undefined) throw missing(param);
  if (typeof value !== 'boolean') throw new AppError('InvalidParamType', `Invalid type for field ${param}: expected true or false.`, { param });
  return value;
}

function missing(param: string): AppError {
  return new AppError('ParamsNeeded', `A required field ${param} is missing.`, { param });
}
