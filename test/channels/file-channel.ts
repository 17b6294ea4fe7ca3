// A tiny `file` channel, registered only in tests: it writes the run's export into a folder
// under `root`, atomically (a temp file, then a rename), to show that a channel is one folder
// plus one registry line. Its events are configurable, so it also exercises `run.running`.
import { randomBytes } from 'node:crypto';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_EVENT, RUN_RUNNING_EVENT, type DeliveryChannel } from '../../src/channels/channel.js';
import { AppError } from '../../src/domain/app-error.js';
import type { DeliveryError } from '../../src/domain/types.js';

export interface FileChannelConfig {
  /** A folder name under the channel's root: letters, digits, `-`, `_` and `/` between them. */
  folder: string;
  events: string[];
}

const FOLDER_PATTERN = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;
const EVENTS = [FILE_EVENT, RUN_RUNNING_EVENT];
/** The folder missing (not mounted yet): worth another try. Anything else: the folder is wrong. */
const RETRYABLE_CODES = new Set(['ENOENT', 'EAGAIN', 'EBUSY']);

export function createFileChannel(options: { root: string }): DeliveryChannel<FileChannelConfig> {
  const folderOf = (config: FileChannelConfig) => join(options.root, config.folder);
  return {
    kind: 'file',
    fieldsKey: 'file_fields',
    testRoute: 'test-file',
    title: 'file',
    description: 'a folder of this server',
    testDescription: 'Test file settings: writes a probe file into the folder, then deletes it.',
    testBodyProperties: { folder: { type: 'string' } },
    fieldsDescription: 'folder (required), is_active (required), events (default ["file"]).',
    fieldsSchema: { description: 'File delivery settings.', properties: { folder: { type: 'string' }, is_active: { type: 'boolean' } } },
    parseFields(fields, { mode, prefix }) {
      const { folder, is_active: isActive, events = [FILE_EVENT] } = fields;
      if (typeof folder !== 'string' || !FOLDER_PATTERN.test(folder)) {
        throw new AppError('InvalidParameterValue', `Invalid value for field ${prefix}folder: a relative folder name.`, { param: `${prefix}folder` });
      }
      if (mode === 'configure' && typeof isActive !== 'boolean') {
        throw new AppError('ParamsNeeded', `A required field ${prefix}is_active is missing (true or false).`, { param: `${prefix}is_active` });
      }
      if (!Array.isArray(events) || events.some((event) => !EVENTS.includes(event as string))) {
        throw new AppError('InvalidParameterValue', `Invalid value for field ${prefix}events: a list of ${EVENTS.join(', ')}.`, { param: `${prefix}events` });
      }
      return { isActive: mode === 'configure' ? (isActive as boolean) : null, config: { folder, events: events as string[] } };
    },
    serializeFields: (config, isActive) => ({ folder: config.folder, is_active: isActive, events: config.events }),
    events: (config) => config.events,
    planTarget: (_config, run, _squid, event) => (event === FILE_EVENT ? `${run.exportFileName}.csv` : `${run.id}.${event}.json`),
    async test(config) {
      const probe = join(folderOf(config), `.probe-${randomBytes(4).toString('hex')}`);
      try {
        await writeFile(probe, 'probe');
        await rm(probe);
        return { success: true, status_code: 200 };
      } catch (error) {
        const detail = classifyFileError(error);
        return { success: false, status_code: 0, error: { code: detail.code, message: detail.message, hint: detail.hint } };
      }
    },
    async deliver({ delivery, run }, ctx) {
      const path = join(folderOf(delivery.config), delivery.target ?? `${run.id}.${delivery.event}`);
      const temp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
      if (delivery.event !== FILE_EVENT) {
        await writeFile(temp, JSON.stringify({ event: delivery.event, run: run.id }));
        await rename(temp, path);
        return { rows: 0, bytes: 0, etag: null };
      }
      const exported = ctx.openExport({ chunkBytes: 64 * 1024, chunksHeld: 2 });
      const file = await open(temp, 'w');
      try {
        for await (const chunk of exported.chunks) {
          await file.write(chunk.data);
          chunk.release();
        }
        await file.close();
        await rename(temp, path);
      } catch (error) {
        await file.close().catch(() => undefined);
        await rm(temp, { force: true });
        throw error;
      }
      return { rows: exported.stats.rows, bytes: exported.stats.bytes, etag: null };
    },
    classify: (error) => classifyFileError(error),
    describeForLog: (config, target) => ({ folder: config.folder, file: target }),
    renderJobTarget: (config, target) => ({ folder: config.folder, file: target }),
    renderAttemptTarget: (target) => ({ file: target }),
    describeLocation: (config, target) => ({ folder: config.folder, file: target }),
    historySchema: { job: { folder: { type: 'string' }, file: { type: ['string', 'null'] } }, attempt: { file: { type: ['string', 'null'] } } },
  };
}

function classifyFileError(error: unknown): DeliveryError {
  const code = (error as NodeJS.ErrnoException | null)?.code ?? 'FileError';
  const message = error instanceof Error ? error.message : String(error);
  const retryable = RETRYABLE_CODES.has(code);
  const hint = retryable ? 'The folder is not there yet; the delivery is retried.' : 'Point folder at a writable folder.';
  return { code, message, hint, statusCode: null, retryable };
}
