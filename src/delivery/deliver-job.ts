// One delivery attempt, channel-neutral: find the job's channel and its run, then let the
// channel deliver under an AttemptContext. Whatever the channel throws is read by the channel's
// own classify; the engine only decides, from the classified error, to retry or give up.
import type { Logger } from 'pino';
import { DeliveryFailure, type DeliveryReceipt, type ExportRequest } from '../channels/channel.js';
import type { ChannelRegistry } from '../channels/registry.js';
import type { Clock } from '../domain/clock.js';
import type { Delivery } from '../domain/types.js';
import { DEFAULT_FORMAT_ID } from '../export/formats/index.js';
import { openExport, RUN_RESULTS_CHANGED } from '../export/pipeline.js';
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
  // The squid (and with it the run) was deleted after the delivery was enqueued.
  if (run === null || squid === null) throw runDeleted(delivery.runId);
  const ctx = {
    signal: input.signal,
    clock: input.clock,
    logger: input.logger,
    openExport: (request: ExportRequest) => openExport(store, run, squid, { ...request, format: DEFAULT_FORMAT_ID, nativeEncoders: input.nativeEncoders }),
  };
  let failure: DeliveryFailure;
  try {
    return await channel.deliver({ delivery, run, squid }, ctx);
  } catch (thrown) {
    failure = thrown instanceof DeliveryFailure ? thrown : new DeliveryFailure(channel.classify(thrown, delivery.config), { cause: thrown });
  }
  // Rows that vanished mid-export (the export failed it, so nothing was completed): when the
  // squid is gone, that is the reason to report; the job went with it, so nothing is recorded.
  if (failure.error.code === RUN_RESULTS_CHANGED && (await store.getRunById(run.id)) === null) throw runDeleted(run.id, failure);
  throw failure;
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
