// One delivery attempt, channel-neutral: find the job's channel and its run, then let the
// channel deliver under an AttemptContext. Whatever the channel throws is read by the channel's
// own classify, but for the export's own failures (its AppErrors), which the engine names; the
// engine then only decides, from the classified error, to retry or give up.
import type { Logger } from 'pino';
import { DeliveryFailure, FILE_EVENT, type DeliveredFile, type DeliveryChannel, type DeliveryReceipt, type ExportRequest } from '../channels/channel.js';
import type { ChannelRegistry } from '../channels/registry.js';
import { AppError } from '../domain/app-error.js';
import type { Clock } from '../domain/clock.js';
import type { Delivery, DeliveryError } from '../domain/types.js';
import { DEFAULT_FORMAT_ID } from '../export/formats/index.js';
import { openExport, RUN_RESULTS_CHANGED, type ExportStream, type LentChunk } from '../export/pipeline.js';
import type { Store } from '../storage/store.js';
import { cleanUpBeforeAttempt, createOpenWriteRecorder } from './open-writes.js';

export interface DeliverJobInput {
  store: Store;
  channels: ChannelRegistry;
  delivery: Delivery;
  clock: Clock;
  logger: Logger;
  /** Aborting it aborts the channel's write (lease lost, shutdown). */
  signal: AbortSignal;
  /** false: formats use their JS encoders only (SQUIDSHIP_NATIVE_CSV=false). */
  nativeEncoders: boolean;
  /**
   * The worker holding the job's lease: what the attempt opens is recorded under it. null: the
   * job is not leased (a benchmark's hand-made job) and nothing is recorded.
   */
  workerId: string | null;
}

export async function deliverJob(input: DeliverJobInput): Promise<DeliveryReceipt> {
  const { store, delivery } = input;
  const channel = findChannel(input.channels, delivery.kind);
  const run = await store.getRunById(delivery.runId);
  const squid = run === null ? null : await store.getSquidById(run.squidId);
  // The squid (and with it the run) was deleted after the delivery was enqueued.
  if (run === null || squid === null) throw runDeleted(delivery.runId);
  const exportFailure: { error: AppError | null } = { error: null };
  const ctx = {
    signal: input.signal,
    clock: input.clock,
    logger: input.logger,
    openExport: (request: ExportRequest) =>
      noteFailure(openExport(store, run, squid, { ...request, format: DEFAULT_FORMAT_ID, nativeEncoders: input.nativeEncoders }), exportFailure),
    recordOpenWrite:
      input.workerId === null ? unrecorded : createOpenWriteRecorder({ store, delivery, workerId: input.workerId, clock: input.clock, logger: input.logger }),
    listDeliveredFiles: () => listDeliveredFiles(store, input.channels, delivery),
  };
  let failure: DeliveryFailure;
  try {
    if (input.workerId !== null) await cleanUpBeforeAttempt({ store, channel, delivery, signal: input.signal, logger: input.logger });
    return await channel.deliver({ delivery, run, squid }, ctx);
  } catch (thrown) {
    // The export's own errors (rows gone, a row that cannot be read) are the engine's to name,
    // whatever the channel makes of the stream that broke under it.
    if (exportFailure.error !== null) failure = new DeliveryFailure(toDeliveryError(exportFailure.error), { cause: thrown });
    else failure = thrown instanceof DeliveryFailure ? thrown : new DeliveryFailure(channel.classify(thrown, delivery.config), { cause: thrown });
  }
  // Rows that vanished mid-export (the export failed it, so nothing was completed): when the
  // squid is gone, that is the reason to report; the job went with it, so nothing is recorded.
  if (failure.error.code === RUN_RESULTS_CHANGED && (await store.getRunById(run.id)) === null) throw runDeleted(run.id, failure);
  throw failure;
}

function findChannel(channels: ChannelRegistry, kind: string): DeliveryChannel {
  const channel = channels.find(kind);
  if (channel !== undefined) return channel;
  throw new DeliveryFailure({
    code: 'DeliveryChannelNotAvailable',
    message: `this server has no "${kind}" delivery channel any more`,
    hint: 'Configure a delivery this server supports for the squid, then deliver the run again (POST /v1/runs/{id}/deliveries).',
    statusCode: null,
    retryable: false,
  });
}

/** The export as the channel reads it, its first failure of its own kept in `seen`. */
function noteFailure(exported: ExportStream, seen: { error: AppError | null }): ExportStream {
  async function* chunks(): AsyncGenerator<LentChunk> {
    try {
      yield* exported.chunks;
    } catch (error) {
      if (error instanceof AppError) seen.error ??= error;
      throw error;
    }
  }
  return { ...exported, chunks: chunks() };
}

function toDeliveryError(error: AppError): DeliveryError {
  return { code: error.code, message: error.message, hint: error.hint ?? null, statusCode: null, retryable: error.retryable };
}

function runDeleted(runId: string, cause?: DeliveryFailure): DeliveryFailure {
  return new DeliveryFailure(
    {
      code: 'RunDoesNotExist',
      message: `run ${runId} no longer exists`,
      hint: 'The squid or run was deleted; there is nothing left to deliver.',
      statusCode: null,
      retryable: false,
    },
    { cause },
  );
}

const unrecorded = async () => ({ forget: async () => undefined });

/**
 * The succeeded `file` jobs of the job's round, each described by its own channel (the engine
 * knows no channel): the target of the attempt that succeeded, which is the job's planned one.
 */
async function listDeliveredFiles(store: Store, channels: ChannelRegistry, delivery: Delivery): Promise<DeliveredFile[]> {
  const jobs = await store.listRunDeliveries(delivery.accountId, delivery.runId);
  return jobs.flatMap((job) => {
    if (job.event !== FILE_EVENT || job.round !== delivery.round || job.status !== 'succeeded') return [];
    const target = job.attemptList.find((attempt) => attempt.outcome === 'succeeded')?.target ?? job.target;
    const channel = channels.find(job.kind);
    return [{ kind: job.kind, location: channel?.describeLocation(job.config, target) ?? {} }];
  });
}
