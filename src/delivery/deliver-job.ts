// One delivery attempt, channel-neutral: find the job's channel and its run, then let the
// channel deliver under an AttemptContext. Whatever the channel throws is read by the channel's
// own classify; the engine only decides, from the classified error, to retry or give up.
import type { Logger } from 'pino';
import { DeliveryFailure, type DeliveryReceipt, type ExportRequest } from '../channels/channel.js';
import type { ChannelRegistry } from '../channels/registry.js';
import type { Clock } from '../domain/clock.js';
import type { Delivery } from '../domain/types.js';
import { DEFAULT_FORMAT_ID } from '../export/formats/index.js';
import { openExport } from '../export/pipeline.js';
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
    recordOpenWrite:
      input.workerId === null ? unrecorded : createOpenWriteRecorder({ store, delivery, workerId: input.workerId, clock: input.clock, logger: input.logger }),
  };
  try {
    if (input.workerId !== null) await cleanUpBeforeAttempt({ store, channel, delivery, signal: input.signal, logger: input.logger });
    return await channel.deliver({ delivery, run, squid }, ctx);
  } catch (thrown) {
    if (thrown instanceof DeliveryFailure) throw thrown;
    throw new DeliveryFailure(channel.classify(thrown, delivery.config), { cause: thrown });
  }
}

const unrecorded = async () => ({ forget: async () => undefined });
