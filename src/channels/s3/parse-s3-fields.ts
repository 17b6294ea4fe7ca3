// Reads S3 destination settings from a request, in Lobstr's field names (`bucket`, `is_active`,
// `target_path`, `aws_access_key`, `aws_secret_key`) plus Squidship's extensions (`region`,
// `endpoint`, `force_path_style`). Shared by `POST /v1/delivery` and `POST /v1/delivery/test-s3`
// so that a configuration that tests fine is one that saves fine. Pure; throws AppError 400.
import { AppError, badRequest } from '../../domain/app-error.js';
import type { S3DestinationConfig } from './s3-config.js';
import { checkBucketName } from './bucket-name.js';
import { normalizeTargetPath } from './target-path.js';

export const S3_FIELD_NAMES = [
  'bucket',
  'is_active',
  'target_path',
  'aws_access_key',
  'aws_secret_key',
  'region',
  'endpoint',
  'force_path_style',
] as const;

export interface ParsedS3Fields {
  /** null when the form does not carry it (the test endpoint). */
  isActive: boolean | null;
  config: S3DestinationConfig;
}

export interface ParseS3FieldsOptions {
  /** How field names are shown in errors: "s3_fields." for the configure endpoint, "" for test-s3. */
  prefix: string;
  /** Configure needs is_active and target_path; the test endpoint takes neither or target_path only. */
  mode: 'configure' | 'test';
}

const REGION_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function parseS3Fields(fields: Record<string, unknown>, options: ParseS3FieldsOptions): ParsedS3Fields {
  const name = (field: string) => `${options.prefix}${field}`;
  const allowed: readonly string[] = options.mode === 'configure' ? S3_FIELD_NAMES : S3_FIELD_NAMES.filter((f) => f !== 'is_active');
  const unknown = Object.keys(fields).filter((field) => !allowed.includes(field));
  if (unknown.length > 0) {
    throw new AppError('InvalidParam', `Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map(name).join(', ')}: accepted fields are ${allowed.map(name).join(', ')}.`, {
      param: name(unknown[0] as string),
    });
  }
  const bucket = readBucket(fields.bucket, name('bucket'));
  const isActive = options.mode === 'configure' ? readRequiredBoolean(fields.is_active, name('is_active')) : null;
  const targetPath = readTargetPath(fields.target_path, name('target_path'), options.mode === 'configure');
  const keys = readKeyPair(fields.aws_access_key, fields.aws_secret_key, name('aws_access_key'), name('aws_secret_key'));
  return {
    isActive,
    config: {
      bucket,
      targetPath,
      ...keys,
      region: readRegion(fields.region, name('region')),
      endpoint: readEndpoint(fields.endpoint, name('endpoint')),
      forcePathStyle: readOptionalBoolean(fields.force_path_style, name('force_path_style')),
    },
  };
}

function readBucket(value: unknown, field: string): string {
  if (value === undefined || value === null) throw new AppError('ParamsNeeded', `A required field ${field} is missing.`, { param: field });
  if (typeof value !== 'string') throw wrongType(field, 'a string');
  const problem = checkBucketName(value);
  if (problem !== null) throw badRequest('InvalidParameterValue', `Invalid value for field ${field}: ${problem}`, field);
  return value;
}

function readTargetPath(value: unknown, field: string, required: boolean): string {
  if (value === undefined || value === null) {
    if (required) throw new AppError('ParamsNeeded', `A required field ${field} is missing (send "" for the bucket root).`, { param: field });
    return '';
  }
  if (typeof value !== 'string') throw wrongType(field, 'a string');
  const normalized = normalizeTargetPath(value);
  if ('error' in normalized) throw badRequest('InvalidParameterValue', `Invalid value for field ${field}: ${normalized.error}`, field);
  return normalized.path;
}

function readKeyPair(access: unknown, secret: unknown, accessField: string, secretField: string) {
  const accessKeyId = readOptionalString(access, accessField);
  const secretAccessKey = readOptionalString(secret, secretField);
  if ((accessKeyId === null) !== (secretAccessKey === null)) {
    const missing = accessKeyId === null ? accessField : secretField;
    throw new AppError('ParamsNeeded', `Send both ${accessField} and ${secretField}, or neither (anonymous upload to a bucket whose policy allows public write): ${missing} is missing.`, { param: missing });
  }
  return { accessKeyId, secretAccessKey };
}

function readRegion(value: unknown, field: string): string | null {
  const region = readOptionalString(value, field);
  if (region !== null && !REGION_PATTERN.test(region)) {
    throw badRequest('InvalidParameterValue', `Invalid value for field ${field}: a region is 1 to 64 letters, digits, '-' or '_' (e.g. eu-west-1).`, field);
  }
  return region;
}

function readEndpoint(value: unknown, field: string): string | null {
  const endpoint = readOptionalString(value, field);
  if (endpoint === null) return null;
  let url: URL | null = null;
  try {
    url = new URL(endpoint);
  } catch {
    url = null; // reported just below, with the fix
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw badRequest('InvalidParameterValue', `Invalid value for field ${field}: set an http:// or https:// URL such as https://s3.eu-central-1.wasabisys.com.`, field);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw badRequest('InvalidParameterValue', `Invalid value for field ${field}: the URL must not carry credentials, a query or a fragment (send keys in aws_access_key and aws_secret_key).`, field);
  }
  return endpoint.replace(/\/+$/, '');
}

/** null and "" both mean "not set": Lobstr's clients omit unset keys, some forms send "". */
function readOptionalString(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw wrongType(field, 'a string');
  return value.trim() === '' ? null : value;
}

function readRequiredBoolean(value: unknown, field: string): boolean {
  if (value === undefined || value === null) throw new AppError('ParamsNeeded', `A required field ${field} is missing (true or false).`, { param: field });
  if (typeof value !== 'boolean') throw wrongType(field, 'true or false');
  return value;
}

function readOptionalBoolean(value: unknown, field: string): boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw wrongType(field, 'true or false');
  return value;
}

function wrongType(field: string, expected: string): AppError {
  return new AppError('InvalidParamType', `Invalid type for field ${field}: expected ${expected}.`, { param: field });
}
