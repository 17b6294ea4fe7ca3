// Taking the bytes an encoder wrote out of its output buffer, for both record buffers
// (csv-record-writer.ts, native-csv-records.ts): the same rule, so both hand over the same way.

/**
 * The first `length` bytes of `buffer` in a Buffer no one else writes to: a copy when they are
 * few (under half of it), else a view of `buffer` itself, which is then handed over; `next` is
 * the buffer to write into from now on (`buffer` itself, or a fresh one of its size).
 */
export function takeWrittenBytes(buffer: Buffer<ArrayBuffer>, length: number): { chunk: Buffer; next: Buffer<ArrayBuffer> } {
  if (length < buffer.length / 2) {
    const chunk = Buffer.allocUnsafe(length);
    buffer.copy(chunk, 0, 0, length);
    return { chunk, next: buffer };
  }
  // A batch's records: handing the buffer over saves copying most of it.
  return { chunk: buffer.subarray(0, length), next: Buffer.allocUnsafe(buffer.length) };
}
