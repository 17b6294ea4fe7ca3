// Placeholder until the delivery routes land: registers no route.
import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../app-deps.js';

export function createDownloadRoutes(_deps: AppDeps): FastifyPluginAsync {
  return async () => {};
}
