// What an output format and a post-processor are to the export pipeline (pipeline.ts). A format
// is pure and synchronous, and its spec is plain data, so that it runs inline or on the export
// thread alike; the thread finds it by id in the registry (formats/index.ts).

/** What an encoder is made from: plain data, sent as it is to the export thread. */
export interface EncoderSpec {
  /** The run's columns in first-seen order. */
  columns: readonly string[];
  /** The squid's no_line_breaks: line breaks inside a value become spaces. */
  noLineBreaks: boolean;
  /** Names the run in the error about a row that cannot be read. */
  runId: string;
  /** false: no optional native encoder, the format's JS encoder only (SQUIDSHIP_NATIVE_CSV=false). */
  nativeEncoders: boolean;
}

/** Turns store batches (rows' JSON texts, each ending in LF) into a format's bytes. */
export interface BatchEncoder {
  /** The bytes before the first row. */
  header(): Buffer;
  /** The bytes of every row in `texts`, in a Buffer of their own; the encoder may overwrite `texts`. */
  encodeBatch(texts: Buffer): Buffer;
  /** The same bytes as a view valid only until the encoder's next call (for a caller that copies them at once). */
  encodeBatchView(texts: Buffer): Buffer;
  /** The bytes after the last row. */
  footer(): Buffer;
}

export interface OutputFormat {
  /** The registry's key: what a destination or a request names. */
  id: string;
  /** The file name's extension, without the dot. */
  extension: string;
  contentType: string;
  createEncoder(spec: EncoderSpec): BatchEncoder;
}

/** A step applied to a format's bytes, in order (gzip, later). */
export interface PostProcessor {
  id: string;
  /** Appended to the format's extension, without the dot ('gz'). */
  extensionSuffix: string;
  create(): { push(bytes: Buffer): Buffer; end(): Buffer };
}
