// Splits one NDJSON byte stream into the bodies of several requests, each ending at a line
// boundary once it holds `maxRows` lines or reaches `maxBytes`. The server takes each request
// atomically, so a failure costs one request's rows, not the whole file's.

export interface RequestLimits {
  maxRows: number;
  maxBytes: number;
}

/** What the body currently being sent holds so far; updated as chunks are handed out. */
export interface BodyCounts {
  rows: number;
  bytes: number;
}

export interface RequestSplitter {
  /** Whether any bytes are left for another request. */
  hasMore(): Promise<boolean>;
  /**
   * The next request's body. Read it to the end before asking for the next one.
   * `onChunk` runs after each chunk with the counts so far.
   */
  nextBody(counts: BodyCounts, onChunk?: (counts: BodyCounts) => void): AsyncGenerator<Buffer>;
}

const NEWLINE = 0x0a;

export function createRequestSplitter(source: AsyncIterable<Buffer>, limits: RequestLimits): RequestSplitter {
  const iterator = source[Symbol.asyncIterator]();
  let pending: Buffer | null = null;
  let sourceDone = false;

  async function hasMore(): Promise<boolean> {
    while (pending === null && !sourceDone) {
      const next = await iterator.next();
      if (next.done) sourceDone = true;
      else if (next.value.length > 0) pending = next.value;
    }
    return pending !== null;
  }

  async function* nextBody(counts: BodyCounts, onChunk?: (counts: BodyCounts) => void): AsyncGenerator<Buffer> {
    while (await hasMore()) {
      const chunk = pending as Buffer;
      const { take, full } = findCut(chunk, counts, limits);
      const piece = take < chunk.length ? chunk.subarray(0, take) : chunk;
      pending = take < chunk.length ? chunk.subarray(take) : null;
      // The file's last line may lack its newline; it is still a row.
      if (!full && piece[piece.length - 1] !== NEWLINE && !(await hasMore())) counts.rows += 1;
      onChunk?.(counts);
      yield piece;
      if (full) return;
    }
  }

  return { hasMore, nextBody };
}

/**
 * How many bytes of `chunk` belong to the current body, counting its complete lines into
 * `counts`; `full` when the body ends inside this chunk.
 */
function findCut(chunk: Buffer, counts: BodyCounts, limits: RequestLimits): { take: number; full: boolean } {
  const startBytes = counts.bytes;
  let position = 0;
  for (;;) {
    const newline = chunk.indexOf(NEWLINE, position);
    if (newline === -1) {
      counts.bytes = startBytes + chunk.length;
      return { take: chunk.length, full: false };
    }
    position = newline + 1;
    counts.rows += 1;
    if (counts.rows >= limits.maxRows || startBytes + position >= limits.maxBytes) {
      counts.bytes = startBytes + position;
      return { take: position, full: true };
    }
  }
}
