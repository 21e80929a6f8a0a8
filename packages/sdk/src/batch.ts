// Packs waiting events into one request body: at most SDK_BATCH_EVENTS events and SDK_BATCH_BYTES bytes.
import { SDK_BATCH_BYTES, SDK_BATCH_EVENTS, type WireEvent } from '@parcours/protocol';

/** One request: its JSON body, the ids it carries (to remove once acknowledged), and the dropped count it reports. */
export interface Packed {
  body: string;
  ids: string[];
  dropped: number;
}

const bytes = (s: string) => new Blob([s]).size;

/**
 * Takes events from the front of `list` while they fit. An event too large to ever fit alone is
 * listed in `ids` without being sent (so it leaves the outbox) and counted as dropped.
 */
export function pack(site: string, list: readonly WireEvent[], dropped: number, now: number): Packed {
  const out: string[] = [];
  const ids: string[] = [];
  const head = `{"v":1,"site":${JSON.stringify(site)},"sent_at":${now},"dropped":`;
  let size = bytes(head) + 40;
  for (const e of list) {
    const j = JSON.stringify(e);
    const n = bytes(j) + 1;
    if (out.length >= SDK_BATCH_EVENTS) break;
    if (size + n > SDK_BATCH_BYTES) {
      if (out.length) break;
      dropped++;
    } else {
      out.push(j);
      size += n;
    }
    ids.push(e.id);
  }
  return { body: `${head}${dropped},"events":[${out}]}`, ids, dropped };
}
