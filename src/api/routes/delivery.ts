// POST /v1/delivery?squid=ID (configure S3 delivery) and POST /v1/delivery/test-* (try a
// configuration). Squidship delivers to S3 and S3-compatible stores only: the other Lobstr
// channels answer a clear 400 and store nothing, never a fake success.
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import { parseS3Fields } from '../../channels/s3/parse-s3-fields.js';
import { probeS3 } from '../../channels/s3/probe.js';
import { resolveS3Target } from '../../channels/s3/s3-target.js';
import type { AppDeps } from '../app-deps.js';
import { requireAccount } from '../auth.js';
import { errorResponses } from '../schemas.js';
import { serializeS3Fields } from '../serialize.js';
import { squidNotFound } from './squids.js';

/** Body keys (nested or as the prefix of a dotted key) of the channels Squidship lacks. */
const OTHER_CHANNELS: Record<string, string> = {
  webhook_fields: 'webhook',
  ftp_fields: 'SFTP',
  google_sheet_fields: 'Google Sheets',
  slack_fields: 'Slack',
  email: 'email',
  notifications: 'email',
};

const TEST_ROUTES_NOT_AVAILABLE: Record<string, string> = {
  'test-email': 'email',
  'test-googlesheet': 'Google Sheets',
  'test-webhook': 'webhook',
  'test-sftp': 'SFTP',
};

const s3FieldsDoc = {
  type: 'object',
  description: 'bucket (required), is_active (required), target_path (required; "" is the bucket root), aws_access_key and aws_secret_key (both or neither), and the Squidship extensions region, endpoint, force_path_style.',
  additionalProperties: true,
} as const;

const probeResultSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    success: { type: 'boolean' },
    status_code: { type: ['integer', 'null'] },
    error: {
      type: 'object',
      additionalProperties: true,
      properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: ['string', 'null'] } },
    },
  },
} as const;

export function channelNotAvailable(channel: string): AppError {
  return new AppError(
    'DeliveryChannelNotAvailable',
    `Squidship does not deliver to ${channel} yet: configure s3_fields (Amazon S3 or any S3-compatible store) instead.`,
    { status: 400 },
  );
}

export function createDeliveryRoutes(deps: AppDeps): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Querystring: { squid: string } }>('/delivery', {
      schema: {
        tags: ['Delivery'],
        description:
          'Configure Amazon S3 delivery for a squid. Accepts `{"s3_fields": {...}}` or the flat dotted form `{"s3_fields.bucket": ...}` (not both). ' +
          'A new POST replaces the configuration; `is_active: false` keeps it but stops deliveries. The keys are answered masked but for their last 4 characters. ' +
          'Other channels (webhook, SFTP, Google Sheets, email) answer 400 DeliveryChannelNotAvailable.',
        querystring: { type: 'object', required: ['squid'], properties: { squid: { type: 'string' } } },
        body: { type: 'object', additionalProperties: true, properties: { s3_fields: s3FieldsDoc } },
        response: {
          201: { type: 'object', additionalProperties: true, properties: { s3_fields: { type: 'object', additionalProperties: true } } },
          ...errorResponses(400, 401, 404),
        },
      },
    }, async (request, reply) => {
      const account = requireAccount(request);
      const fields = extractS3Fields(request.body);
      const parsed = parseS3Fields(fields, { prefix: 's3_fields.', mode: 'configure' });
      const squid = await deps.store.getSquid(account.id, request.query.squid.toLowerCase());
      if (squid === null) throw squidNotFound();
      const destination = await deps.store.putDestination(squid.id, 's3', parsed.isActive ?? false, parsed.config, deps.clock());
      request.log.info({ squidId: squid.id, bucket: destination.config.bucket, isActive: destination.isActive }, 'delivery.configured');
      return reply.status(201).send({ s3_fields: serializeS3Fields(destination) });
    });

    app.post('/delivery/test-s3', {
      schema: {
        tags: ['Delivery'],
        description:
          'Test S3 settings: puts a small probe object under target_path, then deletes it. Always 200: `{"success": true, "status_code": 200}` or ' +
          '`{"success": false, "status_code": <S3 status>, "error": {"code", "message", "hint"}}` where the hint names the fix. ' +
          'Body: bucket (required), aws_access_key, aws_secret_key, and the extensions target_path, region, endpoint, force_path_style.',
        body: { type: 'object', additionalProperties: true, properties: { bucket: { type: 'string' } } },
        response: { 200: probeResultSchema, ...errorResponses(400, 401) },
      },
    }, async (request) => {
      requireAccount(request);
      const parsed = parseS3Fields(asObject(request.body), { prefix: '', mode: 'test' });
      const target = resolveS3Target(parsed.config, deps.s3Defaults);
      const result = await probeS3({ target, targetPath: parsed.config.targetPath, timeoutMs: deps.config.s3.probeTimeoutMs, now: deps.clock() });
      request.log.info({ bucket: target.bucket, success: result.success }, 'delivery.test_s3');
      return result;
    });

    for (const [route, channel] of Object.entries(TEST_ROUTES_NOT_AVAILABLE)) {
      app.post(`/delivery/${route}`, {
        schema: {
          tags: ['Delivery'],
          description: `Not available: Squidship does not deliver to ${channel} yet. Answers 400 DeliveryChannelNotAvailable.`,
          response: errorResponses(400, 401),
        },
      }, async (request) => {
        requireAccount(request);
        throw channelNotAvailable(channel);
      });
    }
  };
}

/**
 * The s3_fields of a configure body, from either documented form. Lobstr's examples and SDK
 * nest them; the docs' request sample spells them as dotted keys.
 */
export function extractS3Fields(body: unknown): Record<string, unknown> {
  const object = asObject(body);
  const keys = Object.keys(object);
  const channels = new Set(keys.map((key) => OTHER_CHANNELS[key.split('.')[0] as string]).filter((c): c is string => c !== undefined));
  if (channels.size > 0) throw channelNotAvailable([...channels].join(' and '));
  const unknown = keys.filter((key) => key !== 's3_fields' && !key.startsWith('s3_fields.'));
  if (unknown.length > 0) {
    throw new AppError('InvalidParam', `Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: send the S3 settings in s3_fields.`, { param: unknown[0] });
  }
  const flatKeys = keys.filter((key) => key.startsWith('s3_fields.'));
  if ('s3_fields' in object) {
    if (flatKeys.length > 0) {
      throw new AppError('ParamsInvalid', `Send s3_fields either nested ({"s3_fields": {...}}) or as dotted keys ({"s3_fields.bucket": ...}), not both: found s3_fields and ${flatKeys.join(', ')}.`, { param: 's3_fields' });
    }
    const nested = object.s3_fields;
    if (typeof nested !== 'object' || nested === null || Array.isArray(nested)) {
      throw new AppError('InvalidParamType', 'Invalid type for field s3_fields: expected an object.', { param: 's3_fields' });
    }
    return nested as Record<string, unknown>;
  }
  if (flatKeys.length === 0) throw new AppError('ParamsNeeded', 'A required field s3_fields is missing.', { param: 's3_fields' });
  return Object.fromEntries(flatKeys.map((key) => [key.slice('s3_fields.'.length), object[key]]));
}

function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) throw new AppError('ParamsNeeded', 'The request body is missing: send a JSON object.');
  if (typeof body !== 'object' || Array.isArray(body)) throw new AppError('InvalidParameterValue', 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}
