// What Fastify and Node reject before a route runs (a URL that does not decode, a path parameter
// over the router's length limit, malformed HTTP, oversized headers, a header timeout) answers
// in the same error shape as everything else, instead of their own bodies.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { renderErrorBody } from './errors.js';

/** find-my-way's default: longer path parameters are refused (our ids are 32 characters). */
export const MAX_PATH_PARAMETER_LENGTH = 100;

/** Fastify's `frameworkErrors`: a request object exists, but no route and none of our hooks ran. */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? `A path parameter is longer than ${MAX_PATH_PARAMETER_LENGTH} characters.`
    : 'The request URL is not valid: a percent-encoded sequence does not decode.';
  const type = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'InvalidParameterValue' : 'BadEncoding';
  request.log.info({ type, code: error.code }, 'request.rejected');
  void reply.header('x-request-id', request.id).status(400).send(renderErrorBody(400, type, message));
}

function describeClientError(code: string | undefined): { status: number; type: string; message: string } {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, type: 'InvalidParameterValue', message: 'The request headers are too large.' };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, type: 'RequestTimeout', message: 'The request was not received in time.' };
  }
  return { status: 400, type: 'BadEncoding', message: 'The request is not valid HTTP.' };
}

/**
 * Node's `clientError`, before any request exists: answers on the raw socket, then closes it.
 * A reset or already closed connection has no one left to answer.
 */
export function handleClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const { status, type, message } = describeClientError(error.code);
    const body = JSON.stringify(renderErrorBody(status, type, message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
