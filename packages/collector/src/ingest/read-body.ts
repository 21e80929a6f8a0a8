// Reads a request body as UTF-8 text, never holding more than the limit: a missing or lying Content-Length cannot get past it.
import { failWithMessage } from '../errors.ts';

function tooLarge(max: number): never {
  failWithMessage(413, 'payload-too-large', `the body is at most ${max} bytes`);
}

/** Bytes of the body's start handed to `peek` (or all of a shorter body). */
const PEEK_BYTES = 1024;

/**
 * The body as text. `413 payload-too-large` as soon as more than `max` bytes have been read
 * (or are announced by Content-Length), `400 invalid-json` if it is not valid UTF-8. `peek`, when given, sees the
 * first PEEK_BYTES as text before the rest is read: if it throws, the rest is read and dropped (never decoded or kept),
 * and its error is the answer.
 */
export async function readBody(req: Request, max: number, peek?: (start: string) => Promise<void>): Promise<string> {
  const announced = Number(req.headers.get('content-length') ?? NaN);
  if (announced > max) tooLarge(max);
  if (!req.body) return '';
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  let peeked = !peek;
  for (;;) {
    const { done, value } = await reader.read();
    if (value) {
      size += value.byteLength;
      if (size > max) {
        // Stop reading: the rest of an oversized body is never buffered.
        await reader.cancel().catch(() => {});
        tooLarge(max);
      }
      parts.push(value);
    }
    if (!peeked && (done || size >= PEEK_BYTES)) {
      peeked = true;
      const start = new TextDecoder().decode(concat(parts, size).subarray(0, PEEK_BYTES));
      try {
        await peek!(start);
      } catch (error) {
        // The rest is read and dropped, never kept or parsed: cancelling the stream instead would reset the
        // connection, which a client sees as a network error rather than the refusal (and `wrangler dev` as a 500).
        if (!done) {
          reader.releaseLock();
          await drain(req.body, max - size);
        }
        throw error;
      }
    }
    if (done) break;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(concat(parts, size));
  } catch {
    failWithMessage(400, 'invalid-json', 'the body is not UTF-8 text');
  }
}

/** Bytes a refused body's rest is read into at a time, the same buffer again and again. */
const DRAIN_BUFFER_BYTES = 256 * 1024;

/**
 * Reads a stream to its end and drops what it holds, cancelling it once more than `allowed` bytes came. Into one
 * buffer of the reader's own (BYOB) where the stream offers it, as a request body does: a read takes whatever has
 * arrived, up to the buffer, instead of one small chunk each (about a third less CPU for a 750 KB body under
 * `wrangler dev`).
 */
async function drain(stream: ReadableStream<Uint8Array>, allowed: number): Promise<void> {
  let byob: ReadableStreamBYOBReader | null = null;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    // Not a byte stream: chunk by chunk.
  }
  let size = 0;
  if (byob) {
    let buffer = new Uint8Array(DRAIN_BUFFER_BYTES);
    for (let r = await byob.read(buffer); !r.done; r = await byob.read(buffer)) {
      size += r.value.byteLength;
      if (size > allowed) return byob.cancel().catch(() => {});
      buffer = new Uint8Array(r.value.buffer);
    }
    return;
  }
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    size += r.value.byteLength;
    if (size > allowed) return reader.cancel().catch(() => {});
  }
}

/** The chunks read so far as one array of `size` bytes. */
function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  return bytes;
}
