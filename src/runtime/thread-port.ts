// One protocol between a thread and the thread that started it: requests one way; replies,
// and at most one error (thread-error.ts's form), the other; each with its transfer list. The
// export thread, the NDJSON parse thread and the WAL checkpoint thread speak it; what their
// requests and replies hold is theirs. A thread that fails, throws or exits before it was
// asked to stop reaches the owner as one Error (an AppError when the thread threw one).
import { parentPort, type Transferable, type Worker } from 'node:worker_threads';
import { reviveError, serializeError, type SerializedError } from './thread-error.js';

type Envelope<Reply> = { reply: Reply } | { error: SerializedError };

export interface ThreadPort<Request> {
  post(request: Request, transfer?: readonly Transferable[]): void;
  /** From now on the thread's exit is expected (a close the owner asked for), not a failure. */
  expectExit(): void;
  /** Stops the thread at once; its exit is expected. */
  terminate(): Promise<void>;
  readonly worker: Worker;
}

export interface ThreadHandlers<Reply> {
  onReply(reply: Reply): void;
  /** Called at most once: the thread's error, a crash, or an exit that was not expected. */
  onFailure(error: Error): void;
}

/** The owner's side, over a started worker (runtime/start-worker.ts); `threadName` words its errors. */
export function connectThread<Request, Reply>(worker: Worker, threadName: string, handlers: ThreadHandlers<Reply>): ThreadPort<Request> {
  let exitExpected = false;
  let failed = false;
  const fail = (error: Error): void => {
    if (failed) return;
    failed = true;
    handlers.onFailure(error);
  };
  worker.on('message', (envelope: Envelope<Reply>) => {
    if ('error' in envelope) fail(reviveError(envelope.error, threadName));
    else if (!failed) handlers.onReply(envelope.reply);
  });
  worker.on('error', (error: unknown) => fail(error instanceof Error ? error : reviveError(serializeError(error), threadName)));
  worker.on('exit', (code) => {
    if (!exitExpected) fail(new Error(`the ${threadName} stopped (exit code ${code})`));
  });
  return {
    post: (request, transfer) => worker.postMessage(request, transfer),
    expectExit() {
      exitExpected = true;
    },
    terminate() {
      exitExpected = true;
      return worker.terminate().then(() => undefined);
    },
    worker,
  };
}

export interface ParentPort<Reply> {
  reply(reply: Reply, transfer?: readonly Transferable[]): void;
  /** Sends the error in thread-error.ts's form, so that the owner sees its code and retryability. */
  fail(error: unknown): void;
  /** Stops listening, so that the thread can exit once its work is done. */
  close(): void;
}

/** The thread's side: `onRequest` gets every request from the owner. */
export function openParentPort<Request, Reply>(threadFile: string, onRequest: (request: Request) => void): ParentPort<Reply> {
  const port = parentPort;
  if (port === null) throw new Error(`${threadFile} runs as a worker thread only`);
  port.on('message', onRequest);
  return {
    reply: (reply, transfer) => port.postMessage({ reply } satisfies Envelope<Reply>, transfer),
    fail: (error) => port.postMessage({ error: serializeError(error) } satisfies Envelope<Reply>),
    close: () => port.close(),
  };
}
