// Which jobs an event of a run makes: one per active destination whose channel is registered
// and fires on the event, each with its target fixed now (see DeliveryChannel.planTarget).
import { FILE_EVENT, RUN_DONE_EVENT, RUN_ERROR_EVENT } from '../channels/channel.js';
import type { ChannelRegistry } from '../channels/registry.js';
import type { Run } from '../domain/types.js';
import type { PlanDeliveries } from '../storage/store.js';

export function planJobsFor(channels: ChannelRegistry, event: string): PlanDeliveries {
  return (run, squid, activeDestinations) =>
    activeDestinations.flatMap((destination) => {
      const channel = channels.find(destination.kind);
      if (!destination.isActive || channel === undefined || !channel.events(destination.config).includes(event)) return [];
      const target = channel.planTarget(destination.config, run, squid, event);
      return [{ kind: destination.kind, event, config: destination.config, target }];
    });
}

/** The event of a finalised run: run.error when its export failed, else run.done (aborted too). */
export function renderRunEndEvent(run: Run): string {
  return run.doneReason === 'export_failed' ? RUN_ERROR_EVENT : RUN_DONE_EVENT;
}

/** At a run's finalisation (finishAttempt): the jobs of channels that fire on its end event. */
export function planRunEndJobs(channels: ChannelRegistry): PlanDeliveries {
  return (run, squid, destinations) => planJobsFor(channels, renderRunEndEvent(run))(run, squid, destinations);
}

/**
 * At a run's end (completeRun): its `file` jobs; with none, the run is finalised at once, so the
 * jobs of its end event are planned here instead.
 */
export function planRunCompletionJobs(channels: ChannelRegistry): PlanDeliveries {
  return (run, squid, destinations) => {
    const files = planJobsFor(channels, FILE_EVENT)(run, squid, destinations);
    return files.length > 0 ? files : planRunEndJobs(channels)(run, squid, destinations);
  };
}
