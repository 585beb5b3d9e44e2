import { timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ConfigurationError, InvalidInputError, UnauthorizedError } from '../core/errors';
import { logger } from '../adapters/logger';

/** The largest body an intake route accepts. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A JSON response. */
export function json(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** A JSON error: `{ error: <stable name>, message, issues? }`. */
export function httpError(statusCode: number, error: string, message: string, issues?: unknown): APIGatewayProxyStructuredResultV2 {
  return json(statusCode, issues === undefined ? { error, message } : { error, message, issues });
}

/** A request header, case-insensitively. */
export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** Throws `UnauthorizedError` unless the request carries `Authorization: Bearer <expected>`. */
export function checkBearer(event: APIGatewayProxyEventV2, expected: string | undefined): void {
  if (expected === undefined) return;
  const given = header(event, 'authorization');
  if (given === undefined) throw new UnauthorizedError('missing Authorization header: expected "Bearer <token>"');
  const match = /^Bearer\s+(.+)$/i.exec(given);
  const a = Buffer.from(match?.[1] ?? '');
  const b = Buffer.from(expected);
  if (match === null || a.length !== b.length || !timingSafeEqual(a, b)) throw new UnauthorizedError('wrong bearer token');
}

/** A body that is not acceptable, with the HTTP status to answer. */
export class BodyError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BodyError';
  }
}

/**
 * The JSON body of a request: checks content type (415), size (413) and
 * syntax (400, with the position of the error). `allowTextPlain` admits
 * `text/plain`, which SNS uses for its HTTPS notifications.
 */
export function readJsonBody(event: APIGatewayProxyEventV2, options: { allowTextPlain?: boolean } = {}): unknown {
  const contentType = header(event, 'content-type') ?? '';
  const isJson = /^application\/([\w.+-]*\+)?json\b/i.test(contentType);
  if (!isJson && !(options.allowTextPlain === true && /^text\/plain\b/i.test(contentType))) {
    throw new BodyError(415, 'UnsupportedMediaType', `content-type must be application/json, got ${contentType === '' ? 'none' : JSON.stringify(contentType)}`);
  }
  const text = readRawBody(event);
  if (text.trim() === '') throw new BodyError(400, 'InvalidJson', 'body is empty: expected a JSON document');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BodyError(400, 'InvalidJson', `body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** The body as sent (base64 decoded), checked against the size limit (413). Signatures are computed over it. */
export function readRawBody(event: APIGatewayProxyEventV2): string {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_BODY_BYTES) throw new BodyError(413, 'PayloadTooLarge', `body is ${bytes} bytes; the limit is ${MAX_BODY_BYTES}`);
  return text;
}

/**
 * Maps an error to the HTTP answer a sender can act on: 4xx for what the
 * sender must fix, 503 (retry later) for failures on our side, so that a
 * retrying sender never loses an alert.
 */
export function errorToResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  if (error instanceof BodyError) return httpError(error.statusCode, error.code, error.message);
  if (error instanceof UnauthorizedError) return httpError(401, error.name, error.message);
  if (error instanceof InvalidInputError) return httpError(400, error.name, error.message, error.issues);
  if (error instanceof ConfigurationError) {
    logger.error('configuration error', { error });
    return httpError(500, error.name, error.message);
  }
  logger.error('intake failed', { error });
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return httpError(503, name, `the alert was not recorded, retry: ${message}`);
}
