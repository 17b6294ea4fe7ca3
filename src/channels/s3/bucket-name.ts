// S3's general purpose bucket naming rules, checked before any request is made, so a mistyped
// bucket is answered at configuration time with the rule it breaks.
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)

const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
/** Reserved for access point aliases, Object Lambda, Multi-Region Access Points, directory and table buckets. */
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** null when `name` is a valid bucket name; otherwise a sentence naming the broken rule. */
export function checkBucketName(name: string): string | null {
  if (name.length < 3 || name.length > 63) {
    return `Bucket names are 3 to 63 characters long; "${name}" has ${name.length}.`;
  }
  const badCharacter = /[^a-z0-9.-]/.exec(name);
  if (badCharacter) {
    return `Bucket names contain only lowercase letters, digits, dots and hyphens; ${JSON.stringify(badCharacter[0])} is not allowed.`;
  }
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) {
    return 'Bucket names begin and end with a lowercase letter or a digit.';
  }
  if (name.includes('..')) return 'Bucket names must not contain two adjacent dots.';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'Bucket names must not be formatted as an IP address.';
  const prefix = RESERVED_PREFIXES.find((reserved) => name.startsWith(reserved));
  if (prefix) return `Bucket names must not start with the reserved prefix "${prefix}".`;
  const suffix = RESERVED_SUFFIXES.find((reserved) => name.endsWith(reserved));
  if (suffix) return `Bucket names must not end with the reserved suffix "${suffix}".`;
  return null;
}
