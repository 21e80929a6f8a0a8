// Reading an admin request's JSON object body: `400 invalid-json` when it is not JSON, `400 <code>` when not an object.
import { type ErrorCode, fail, failWithMessage } from '../errors.ts';

/** The body as an object; anything else (an array, a string, null) is refused with `code`. */
export async function jsonBody(req: { json(): Promise<unknown> }, code: ErrorCode): Promise<Record<string, unknown>> {
  const body = await req.json().catch(() => fail(400, 'invalid-json'));
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    failWithMessage(400, code, 'the body is a JSON object');
  return body as Record<string, unknown>;
}

/**
 * The message refusing the first field of `body` that is not one of `fields` (`what` names the thing: "an alert"), or
 * undefined when every field is known: a misspelt field would otherwise be dropped without a word.
 */
export function unknownField(
  body: Record<string, unknown>,
  fields: readonly string[],
  what: string,
): string | undefined {
  const key = Object.keys(body).find((k) => !fields.includes(k));
  return key === undefined ? undefined : `no field ${key.slice(0, 64)}: ${what} has ${fields.join(', ')}`;
}
