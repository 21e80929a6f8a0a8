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
  | 'too-many-alerts';

/** Throws the refusal; `app.onError` turns it into `{ "error": code }` with `status`. */
export function fail(status: ContentfulStatusCode, code: ErrorCode, headers?: Record<string, string>): never {
  // The code as the message too: a handler that catches the refusal reads it there (the reply's body is read once).
  throw new HTTPException(status, { message: code, res: Response.json({ error: code }, { status, headers }) });
}
