// The dashboard's one way to the server: the public /v1 API with `Authorization: Token`, like
// any client. Errors keep Lobstr's body fields (type, message) and the `param` extension that
// names the field, so forms show the message next to it.
import { clearToken, readToken } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly param: string | null,
  ) {
    super(message);
  }
}

/** Called when the token is refused, so the app can go back to sign-in. */
let onSignedOut: () => void = () => undefined;
export function setSignedOutHandler(handler: () => void): void {
  onSignedOut = handler;
}

interface ErrorBody {
  errors?: { message?: string; type?: string; param?: string };
}

function toApiError(status: number, text: string): ApiError {
  let body: ErrorBody = {};
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    body = { errors: { message: text || `HTTP ${status}`, type: 'HttpError' } };
  }
  const errors = body.errors ?? {};
  return new ApiError(status, errors.type ?? 'HttpError', errors.message ?? `HTTP ${status}`, errors.param ?? null);
}

function checkSignedOut(status: number): void {
  if (status === 401) {
    clearToken();
    onSignedOut();
  }
}

export async function callApi<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Token ${readToken() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) {
    checkSignedOut(response.status);
    throw toApiError(response.status, text);
  }
  return (text === '' ? null : JSON.parse(text)) as T;
}

const CONTENT_TYPES: Record<string, string> = { ndjson: 'application/x-ndjson', jsonl: 'application/x-ndjson', json: 'application/json', csv: 'text/csv' };

export function contentTypeFor(fileName: string): string | null {
  const extension = fileName.split('.').pop()?.toLowerCase() ?? '';
  return CONTENT_TYPES[extension] ?? null;
}

/**
 * POSTs a file into a running run with upload progress. The File itself is the body, so the
 * browser streams it from disk: a 500 MB file is never read into memory.
 */
export function uploadResults(runId: string, body: Blob, contentType: string, onProgress: (sent: number, total: number) => void): Promise<{ accepted: number }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `/v1/runs/${encodeURIComponent(runId)}/results`);
    request.setRequestHeader('authorization', `Token ${readToken() ?? ''}`);
    request.setRequestHeader('content-type', contentType);
    request.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : body.size);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(body.size, body.size);
        resolve(JSON.parse(request.responseText) as { accepted: number });
        return;
      }
      checkSignedOut(request.status);
      reject(toApiError(request.status, request.responseText));
    };
    request.onerror = () => reject(new ApiError(0, 'NetworkError', 'The upload was cut off: check the server is running and try again.', null));
    request.send(body);
  });
}
