// Which deliveries a finished run gets: one per active destination of its squid that
// Squidship can deliver to (S3 today), each with its object key fixed now.
import type { PlanDeliveries } from '../storage/store.js';
import { renderObjectKey } from './object-key.js';

export const planDeliveries: PlanDeliveries = (run, _squid, activeDestinations) => {
  if (run.exportFileName === null) throw new Error(`run ${run.id} has no export file name`);
  const fileName = run.exportFileName;
  return activeDestinations
    .filter((destination) => destination.isActive && destination.kind === 's3')
    .map((destination) => ({
      kind: destination.kind,
      config: destination.config,
      objectKey: renderObjectKey(destination.config.targetPath, fileName),
    }));
};
