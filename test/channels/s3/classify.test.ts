// What an S3 error becomes: an unknown upstream code is told back by its status only (no text
// of an arbitrary server is echoed), and an egress refusal is permanent.
import { describe, expect, it } from 'vitest';
import { classifyS3Error } from '../../../src/channels/s3/classify.js';
import { EgressRefusedError } from '../../../src/egress/egress-policy.js';

const context = { bucket: 'b', targetPath: '', endpoint: 'https://s3.example.com', region: null };

function sdkError(name: string, status: number, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

describe('classifyS3Error', () => {
  it('reports an unknown code as UnexpectedResponse with the status only', () => {
    const refused = classifyS3Error(sdkError('SecretInternalThing', 418, 'port 6379 says -ERR unknown command'), context);
    expect(refused).toMatchObject({ code: 'UnexpectedResponse', statusCode: 418, retryable: false });
    expect(JSON.stringify(refused)).not.toContain('6379');
    expect(JSON.stringify(refused)).not.toContain('SecretInternalThing');
    const failing = classifyS3Error(sdkError('WeirdGatewayThing', 502, '<html>nginx internals</html>'), context);
    expect(failing).toMatchObject({ code: 'UnexpectedResponse', statusCode: 502, retryable: true });
    expect(failing.message).not.toContain('nginx');
  });

  it('keeps the known codes as they were', () => {
    expect(classifyS3Error(sdkError('AccessDenied', 403, 'Access Denied'), context)).toMatchObject({ code: 'AccessDenied', retryable: false });
    expect(classifyS3Error(sdkError('InternalError', 500, 'x'), context)).toMatchObject({ code: 'InternalError', retryable: true });
  });

  it('makes an egress refusal permanent, with the policy\'s explanation', () => {
    const refusal = new EgressRefusedError('s3.internal resolves to 10.0.0.5, a loopback or private address; the operator can allow it with SQUIDSHIP_EGRESS_ALLOW');
    expect(classifyS3Error(refusal, context)).toMatchObject({ code: 'EgressRefused', retryable: false, statusCode: null, message: expect.stringContaining('10.0.0.5') });
  });
});
