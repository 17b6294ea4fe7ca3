// The one service that ends a run, names its export file and plans its jobs (the API's complete
// and abort routes call it; the CLI reaches it through them), and its twins for a run's start
// and a re-delivery. The store only runs the transaction: the plan is pure, and gets the squid's
// destinations as read inside it.
import { FILE_EVENT, RUN_RUNNING_EVENT } from '../channels/channel.js';
import type { ChannelRegistry } from '../channels/registry.js';
import { AppError } from '../domain/app-error.js';
import type { Delivery, HexId, Run, Squid } from '../domain/types.js';
import type { Store } from '../storage/store.js';
import { renderExportFileName } from './export-file-name.js';
import { planJobsFor, planRunCompletionJobs } from './plan-deliveries.js';

export interface RunServiceDeps {
  store: Store;
  channels: ChannelRegistry;
}

export interface EndRunInput {
  accountId: HexId;
  run: Run;
  squid: Squid;
  reason: 'tasks_done' | 'aborted';
  nowMs: number;
}

/** Ends a running run (else AppError RunNotRunning 409) and enqueues its `file` jobs (or, with none, its run.done jobs). */
export async function completeRun(deps: RunServiceDeps, input: EndRunInput): Promise<{ run: Run; deliveries: Delivery[] }> {
  const { accountId, run, squid, reason, nowMs } = input;
  const exportFileName = renderExportFileName(squid.name, nowMs, run.id);
  return deps.store.completeRun({ accountId, runId: run.id, reason, nowMs, exportFileName }, planRunCompletionJobs(deps.channels));
}

/** Starts a run; the jobs of channels that fire on `run.running` are enqueued in its transaction. */
export async function startRun(deps: RunServiceDeps, input: { accountId: HexId; squidId: HexId; nowMs: number }): Promise<Run> {
  return deps.store.startRun(input, planJobsFor(deps.channels, RUN_RUNNING_EVENT));
}

/** A new round of `file` jobs for a finished run, to its squid's current active destinations. */
export async function redeliverRun(deps: RunServiceDeps, input: { accountId: HexId; run: Run; nowMs: number }): Promise<Delivery[]> {
  const destinations = await deps.store.listDestinations(input.run.squidId);
  const deliverable = destinations.some((destination) => destination.isActive && deps.channels.find(destination.kind) !== undefined);
  if (!deliverable) {
    throw new AppError('NoActiveDestination', 'The squid has no active delivery: configure one with POST /v1/delivery?squid=<id> and is_active true.', { status: 400 });
  }
  return deps.store.enqueueRedelivery(input.accountId, input.run.id, input.nowMs, planJobsFor(deps.channels, FILE_EVENT));
}
