// Which channel a configure body is for, and its fields, from either documented form: Lobstr's
// examples and SDK nest them (`{"s3_fields": {...}}`), the docs' request sample spells them as
// dotted keys (`{"s3_fields.bucket": ...}`). The channel then validates the object.
import type { DeliveryChannel } from '../channels/channel.js';
import type { ChannelRegistry } from '../channels/registry.js';
import { AppError } from '../domain/app-error.js';

/** Lobstr's body keys (nested or as the prefix of a dotted key) of channels, by name. */
const LOBSTR_CHANNEL_KEYS: Record<string, string> = {
  webhook_fields: 'webhook',
  ftp_fields: 'SFTP',
  google_sheet_fields: 'Google Sheets',
  slack_fields: 'Slack',
  email: 'email',
  notifications: 'email',
};

export function channelNotAvailable(channels: ChannelRegistry, channel: string): AppError {
  const instead = channels.list.map((c) => `${c.fieldsKey} (${c.description})`).join(' or ');
  return new AppError('DeliveryChannelNotAvailable', `Squidship does not deliver to ${channel} yet: configure ${instead} instead.`, { status: 400 });
}

export interface ChannelFields {
  channel: DeliveryChannel;
  fields: Record<string, unknown>;
}

export function extractChannelFields(channels: ChannelRegistry, body: unknown): ChannelFields {
  const object = asObject(body);
  const keys = Object.keys(object);
  const prefixOf = (key: string) => key.split('.')[0] as string;
  const unbuilt = new Set(
    keys.map(prefixOf).filter((prefix) => channels.findByFieldsKey(prefix) === undefined).map((prefix) => LOBSTR_CHANNEL_KEYS[prefix]).filter((c): c is string => c !== undefined),
  );
  if (unbuilt.size > 0) throw channelNotAvailable(channels, [...unbuilt].join(' and '));
  const unknown = keys.filter((key) => channels.findByFieldsKey(prefixOf(key)) === undefined);
  if (unknown.length > 0) {
    throw new AppError('InvalidParam', `Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: ${describeWhere(channels)}.`, { param: unknown[0] });
  }
  const named = [...new Set(keys.map(prefixOf))];
  if (named.length === 0) {
    const required = channels.list.map((channel) => channel.fieldsKey).join(' or ');
    throw new AppError('ParamsNeeded', `A required field ${required} is missing.`, { param: channels.list[0]?.fieldsKey });
  }
  if (named.length > 1) {
    throw new AppError('ParamsInvalid', `Configure one channel per request: found ${named.join(' and ')}.`, { param: named[1] });
  }
  const channel = channels.findByFieldsKey(named[0] as string) as DeliveryChannel;
  return { channel, fields: readFields(object, channel.fieldsKey) };
}

function describeWhere(channels: ChannelRegistry): string {
  const [only] = channels.list;
  if (channels.list.length === 1 && only !== undefined) return `send the ${only.title} settings in ${only.fieldsKey}`;
  return `send a channel's settings in one of ${channels.list.map((channel) => channel.fieldsKey).join(', ')}`;
}

function readFields(object: Record<string, unknown>, key: string): Record<string, unknown> {
  const flatKeys = Object.keys(object).filter((name) => name.startsWith(`${key}.`));
  if (key in object) {
    if (flatKeys.length > 0) {
      throw new AppError('ParamsInvalid', `Send ${key} either nested ({"${key}": {...}}) or as dotted keys ({"${key}.bucket": ...}), not both: found ${key} and ${flatKeys.join(', ')}.`, { param: key });
    }
    const nested = object[key];
    if (typeof nested !== 'object' || nested === null || Array.isArray(nested)) {
      throw new AppError('InvalidParamType', `Invalid type for field ${key}: expected an object.`, { param: key });
    }
    return nested as Record<string, unknown>;
  }
  return Object.fromEntries(flatKeys.map((name) => [name.slice(key.length + 1), object[name]]));
}

export function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) throw new AppError('ParamsNeeded', 'The request body is missing: send a JSON object.');
  if (typeof body !== 'object' || Array.isArray(body)) throw new AppError('InvalidParameterValue', 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}
