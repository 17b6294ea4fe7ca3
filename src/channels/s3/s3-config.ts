// The S3 channel's destination settings: what `s3_fields` parses to and what a job carries.

/** Secrets are plaintext here and encrypted only inside the store. */
export interface S3DestinationConfig {
  bucket: string;
  /** Normalised: no leading or trailing slash, no `//`; "" is the bucket root. */
  targetPath: string;
  accessKeyId: string | null;
  secretAccessKey: string | null;
  /** Squidship extensions; null means the server-wide default. */
  region: string | null;
  endpoint: string | null;
  forcePathStyle: boolean | null;
}
