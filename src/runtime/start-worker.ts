// Worker threads started from a module beside the caller's: its .js from dist/, or its .ts
// through tsx when the caller itself runs from src/ (tests, benchmarks with --source).
import { Worker } from 'node:worker_threads';

/** A worker running `moduleName` (no extension), a sibling of the module at `callerUrl`. */
export function startSiblingWorker(callerUrl: string, moduleName: string, workerData?: unknown): Worker {
  if (!new URL(callerUrl).pathname.endsWith('.ts')) return new Worker(new URL(`./${moduleName}.js`, callerUrl), { workerData });
  const thread = JSON.stringify(new URL(`./${moduleName}.ts`, callerUrl).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => tsx.tsImport(${thread}, ${thread}))`, { eval: true, workerData });
}
