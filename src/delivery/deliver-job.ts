// One delivery attempt, channel-neutral: find the job's channel and its run, then let the
// channel deliver under an AttemptContext. Whatever the channel throws is read by the channel's
// own classify; the engine only decides, from the classified error, to retry or give up.
import type { Logger } from 'pino';
import { DeliveryFailure, FILE_EVENT, type DeliveredFile, type DeliveryReceipt, type ExportRequest } from '../channels/channel.js';
import type { ChannelRegistry } from '../channels/registry.js';
import type { Clock } from '../domain/clock.js';
import type { Delivery } from '../domain/types.js';
import { DEFAULT_FORMAT_ID } from '../export/formats/index.js';
import { openExport } from '../export/pipeline.js';
import type { Store } from '../storage/store.js';

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
}

export async function deliverJob(input: DeliverJobInput): Promise<DeliveryReceipt> {
  const { store, delivery } = input;
  const channel = input.channels.find(delivery.kind);
  if (channel === undefined) {
    throw new DeliveryFailure({
      code: 'DeliveryChannelNotAvailable',
      message: `this server has no "${delivery.kind}" delivery channel any more`,
      hint: 'Configure a delivery this server supports for the squid, then deliver the run again (POST /v1/runs/{id}/deliveries).',
      statusCode: null,
      retryable: false,
    });
  }
  const run = await store.getRunById(delivery.runId);
  const squid = run === null ? null : await store.getSquidById(run.squidId);
  if (run === null || squid === null) {
    // The squid (and with it the run) was deleted after the delivery was enqueued.
    throw new DeliveryFailure({
      code: 'RunDoesNotExist',
      message: `run ${delivery.runId} no longer exists`,
      hint: 'The squid or run was deleted; there is nothing left to deliver.',
      statusCode: null,
      retryable: false,
    });
  }
  const ctx = {
    signal: input.signal,
    clock: input.clock,
    logger: input.logger,
    openExport: (request: ExportRequest) => openExport(store, run, squid, { ...request, format: DEFAULT_FORMAT_ID, nativeEncoders: input.nativeEncoders }),
    listDeliveredFiles: () => listDeliveredFiles(store, input.channels, delivery),
  };
  try {
    return await channel.deliver({ delivery, run, squid }, ctx);
  } catch (thrown) {
    if (thrown instanceof DeliveryFailure) throw thrown;
    throw new DeliveryFailure(channel.classify(thrown, delivery.config), { cause: thrown });
  }
}

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
