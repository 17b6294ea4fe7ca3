import { describe, expect, it } from 'vitest';
import { checkBucketName } from '../../../src/channels/s3/bucket-name.js';

describe('checkBucketName', () => {
  it.each(['my-bucket', 'abc', 'a'.repeat(63), 'logs.example.com', '123bucket', 'b-1.2-c'])('accepts %s', (name) => {
    expect(checkBucketName(name)).toBeNull();
  });

  it.each([
    ['ab', '3 to 63 characters'],
    ['a'.repeat(64), '3 to 63 characters'],
    ['', '3 to 63 characters'],
    ['My-Bucket', '"M" is not allowed'],
    ['my_bucket', '"_" is not allowed'],
    ['my bucket', '" " is not allowed'],
    ['bucket/path', '"/" is not allowed'],
    ['-bucket', 'begin and end'],
    ['bucket-', 'begin and end'],
    ['.bucket', 'begin and end'],
    ['my..bucket', 'two adjacent dots'],
    ['192.168.5.4', 'IP address'],
    ['xn--bucket', 'prefix "xn--"'],
    ['sthree-bucket', 'prefix "sthree-"'],
    ['amzn-s3-demo-bucket', 'prefix "amzn-s3-demo-"'],
    ['bucket-s3alias', 'suffix "-s3alias"'],
    ['bucket--ol-s3', 'suffix "--ol-s3"'],
    ['bucket.mrap', 'suffix ".mrap"'],
    ['bucket--x-s3', 'suffix "--x-s3"'],
  ])('rejects %j naming the rule (%s)', (name, rule) => {
    expect(checkBucketName(name)).toContain(rule);
  });

  it('accepts a dotted name that only looks numeric in part', () => {
    expect(checkBucketName('192.168.5.4.logs')).toBeNull();
  });
});
