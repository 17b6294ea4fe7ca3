/**
 * Server-wide S3 settings for destinations that set none: SQUIDSHIP_S3_* or, when the embedded
 * endpoint runs, its address. null endpoint means AWS itself.
 */
export interface S3Defaults {
  endpoint: string | null;
  region: string | null;
  forcePathStyle: boolean | null;
}
