// Reading an admin request's JSON object body: `400 invalid-json` when it is not JSON, `400 <code>` when not an object.
import { type ErrorCode, fail, failWithMessage } from '../errors.ts';

/** The body as an object; anything else (an array, a string, null) is refused with `code`. */
export async function jsonBody(req: { json(): Promise<unknown> }, code: ErrorCode): Promise<Record<string, unknown>> {
  const body = await req.json().catch(() => fail(400, 'invalid-json'));
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    failWithMessage(400, code, 'the body is a JSON object');
  return body as Record<string, unknown>;
}
