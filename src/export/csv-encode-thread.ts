// The export's worker thread: encodes the batches threaded-csv-encoder.ts sends it, in order,
// and sends each batch's records back. The buffers move between the threads (transferred, not
// copied) and each batch is answered on its own, so the main thread reads the next batch from
// the store and uploads the last while this one is encoded.
import { parentPort, workerData } from 'node:worker_threads';
import { createCsvBatchEncoder } from './csv-batch-encoder.js';
import { toTransferable, type EncodeReply, type EncodeRequest, type EncodeThreadData } from './threaded-csv-encoder.js';

const port = parentPort;
if (port === null) throw new Error('csv-encode-thread.ts runs as a worker thread only');
const data = workerData as EncodeThreadData;
const encoder = createCsvBatchEncoder(data.columns, { noLineBreaks: data.noLineBreaks, runId: data.runId });

port.on('message', (request: EncodeRequest) => {
  let reply: EncodeReply;
  try {
    const records = encoder.encodeBatch(Buffer.from(request.texts));
    reply = { records: toTransferable(records), byteLength: records.length };
  } catch (error) {
    reply = { error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply, 'records' in reply ? [reply.records] : []);
});

