import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/app-error.js';
import { connectThread } from '../../src/runtime/thread-port.js';

/** A thread from inline code that speaks the port's envelopes by hand. */
function startInline(code: string): Worker {
  return new Worker(`const { parentPort } = require('node:worker_threads');\n${code}`, { eval: true });
}

function connect(worker: Worker) {
  const replies: unknown[] = [];
  const failed = new Promise<Error>((resolve) => {
    const port = connectThread<unknown, unknown>(worker, 'test thread', { onReply: (reply) => replies.push(reply), onFailure: resolve });
    port.post({ ping: 1 });
  });
  return { replies, failed };
}

describe('connectThread', () => {
  it('hands replies over, and revives the thread\'s AppError with its code and retryability', async () => {
    const { replies, failed } = connect(startInline(`
      parentPort.on('message', (request) => {
        parentPort.postMessage({ reply: { pong: request.ping } });
        parentPort.postMessage({ error: { message: 'row 2 is broken', code: 'StoredRowUnreadable', status: 500, retryable: false } });
      });`));
    const error = await failed;
    expect(replies).toEqual([{ pong: 1 }]);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'StoredRowUnreadable', retryable: false, status: 500 });
  });

  it('fails once, naming the thread, when it exits unasked', async () => {
    const { failed } = connect(startInline('process.exit(3);'));
    expect((await failed).message).toBe('the test thread stopped (exit code 3)');
  });

  it('takes an exit it was told of as no failure', async () => {
    const worker = startInline(`parentPort.on('message', () => parentPort.postMessage({ reply: 'bye' }));`);
    let failure: Error | null = null;
    const port = connectThread<unknown, unknown>(worker, 'test thread', { onReply: () => undefined, onFailure: (error) => (failure = error) });
    await port.terminate();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(failure).toBeNull();
  });
});
