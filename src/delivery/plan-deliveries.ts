// Which jobs an event of a run makes: one per active destination whose channel is registered
// and fires on the event, each with its target fixed now (see DeliveryChannel.planTarget).
import type { ChannelRegistry } from '../channels/registry.js';
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
