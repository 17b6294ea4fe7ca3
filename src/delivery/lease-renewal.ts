// Keeps a claimed delivery's lease alive while its upload runs. Renews every leaseMs/3, so two
// renewals can fail (a slow database) before the lease runs out. When the store says the lease
// is gone, or it has run out while renewals failed, `onLost` fires once: the caller aborts the
// upload and records nothing, because another worker now owns the delivery.
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { Delivery } from '../domain/types.js';
import type { Store } from '../storage/store.js';

export interface LeaseRenewal {
  stop(): void;
}

export interface LeaseRenewalInput {
  store: Store;
  clock: Clock;
  logger: Logger;
  workerId: string;
  delivery: Delivery;
  leaseMs: number;
  onLost: () => void;
}

export function startLeaseRenewal(input: LeaseRenewalInput): LeaseRenewal {
  const { store, clock, workerId, delivery, leaseMs } = input;
  let lockedUntilMs = delivery.lockedUntilMs ?? clock() + leaseMs;
  let renewing = false;
  let stopped = false;

  const lose = (): void => {
    if (stopped) return;
    stopped = true;
    clearInterval(interval);
    input.onLost();
  };

  const renew = async (): Promise<void> => {
    if (renewing || stopped) return;
    renewing = true;
    const untilMs = clock() + leaseMs;
    try {
      if (await store.renewLease(delivery.id, workerId, untilMs)) lockedUntilMs = untilMs;
      else lose();
    } catch (thrown) {
      // A failed renewal is not a lost lease yet: the lease still runs until lockedUntilMs.
      input.logger.warn({ deliveryId: delivery.id, err: thrown }, 'delivery.lease.renew_failed');
      if (clock() >= lockedUntilMs) lose();
    } finally {
      renewing = false;
    }
  };

  const interval = setInterval(() => void renew(), Math.max(1, Math.floor(leaseMs / 3)));
  return {
    stop() {
      stopped = true;
      clearInterval(interval);
    },
  };
}
