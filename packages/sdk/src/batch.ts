// Packs waiting events into one request body: at most SDK_BATCH_EVENTS events and SDK_BATCH_BYTES bytes.
import { SDK_BATCH_BYTES, SDK_BATCH_EVENTS, type WireEvent } from '@parcours/protocol';
import { toJson } from './json.ts';

/** One request: its JSON body, and the ids it carries (to remove once acknowledged). */
export type Packed = [body: string, ids: string[]];

/**
 * Takes events from the front of `list` while they fit in `limit` bytes (at most SDK_BATCH_BYTES). An event too large
 * to ever fit a batch alone is listed in `ids` without being sent (so it leaves the outbox) and counted as dropped; one
 * that only does not fit `limit` ends the list and waits for a later batch. `sent_at` is now.
 */
export function pack(site: string, list: readonly WireEvent[], dropped: number, limit = SDK_BATCH_BYTES): Packed {
  const out: string[] = [];
  const ids: string[] = [];
  // The envelope: a site id is at most 64 characters, so 200 bytes hold the rest of the body.
  let size = 200;
  for (const event of list) {
    const json = toJson(event);
    // Its UTF-8 bytes, and the comma before the next one.
    const bytes = new Blob([json]).size + 1;
    if (out.length == SDK_BATCH_EVENTS) break;
    if (size + bytes > limit) {
      if (out[0] || size + bytes <= SDK_BATCH_BYTES) break;
      dropped++;
    } else {
      out.push(json);
      size += bytes;
    }
    ids.push(event.id);
  }
  return [`{"v":1,"site":${JSON.stringify(site)},"sent_at":${Date.now()},"dropped":${dropped},"events":[${out}]}`, ids];
}
