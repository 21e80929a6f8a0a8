// One error type for every refusal: an HTTP status and a code the reply carries as `{ "error": code }`.
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export type ErrorCode =
  | 'invalid-json'
  | 'invalid-batch'
  | 'unsupported-version'
  | 'invalid-site'
  | 'invalid-sent-at'
  | 'too-many-events'
  | 'unsupported-media-type'
  | 'payload-too-large'
  | 'forbidden'
  | 'rate-limited'
  | 'quota-exceeded'
  | 'unauthorized'
  | 'admin-disabled'
  | 'not-found'
  | 'site-exists'
  | 'invalid-site-config'
  | 'invalid-visitor'
  | 'invalid-survey'
  | 'survey-exists'
  | 'too-many-surveys'
  | 'invalid-query'
  | 'method-not-allowed'
  | 'storage-unavailable'
  | 'invalid-webhook'
  | 'invalid-webhook-url'
  | 'too-many-webhooks'
  | 'webhooks-disabled'
  | 'invalid-alert'
  | 'too-many-alerts'
  | 'move-in-progress';

/** Throws the refusal; `app.onError` turns it into `{ "error": code }` with `status`. */
export function fail(status: ContentfulStatusCode, code: ErrorCode, headers?: Record<string, string>): never {
  throw refusal(status, code, { error: code }, headers);
}

/**
 * Throws the refusal with a sentence saying what was wrong, for a person reading the reply:
 * `{ "error": code, "message": "limit must be a whole number from 1 to 1000" }`. Clients branch on the code only.
 */
export function failWithMessage(status: ContentfulStatusCode, code: ErrorCode, message: string): never {
  throw refusal(status, code, { error: code, message }, undefined, message);
}

/** What a refusal's message says, when it has one (a shard hands it to the Worker that answers). */
export const refusalMessage = (e: HTTPException): string | undefined =>
  typeof e.cause === 'string' ? e.cause : undefined;

function refusal(
  status: ContentfulStatusCode,
  code: ErrorCode,
  body: Record<string, string>,
  headers?: Record<string, string>,
  message?: string,
): HTTPException {
  // The code as the exception's message: a handler that catches the refusal reads it there (the reply's body is read once).
  return new HTTPException(status, { message: code, res: Response.json(body, { status, headers }), cause: message });
}
