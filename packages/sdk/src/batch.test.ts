import { DEFAULT_STAGES, parseBatch, SDK_BATCH_BYTES, SDK_BATCH_EVENTS, type WireEvent } from '@parcours/protocol';
import { VALID_EVENTS } from '@parcours/protocol/fixtures';
import { describe, expect, it } from 'vitest';
import { pack } from './batch.ts';

const event = (i: number, extra: Partial<WireEvent> = {}): WireEvent => ({
  ...VALID_EVENTS[0]!,
  id: `e-${i}`,
  ts: VALID_EVENTS[0]!.ts + i,
  ...extra,
});
const size = (s: string) => new TextEncoder().encode(s).length;

describe('pack', () => {
  it('makes a batch the collector accepts whole, reporting drops', () => {
    const b = pack('shop', VALID_EVENTS, 3);
    const r = parseBatch(JSON.parse(b[0]), { stages: DEFAULT_STAGES });
    if (!r.ok) throw new Error(r.error);
    expect(r.rejected).toEqual([]);
    expect(r.events.map((e) => e.event.id)).toEqual(VALID_EVENTS.map((e) => e.id));
    expect(r.dropped).toBe(3);
    expect(b[1]).toEqual(VALID_EVENTS.map((e) => e.id));
  });

  it('puts at most 50 events in a request, oldest first', () => {
    const list = Array.from({ length: 120 }, (_, i) => event(i));
    const b = pack('shop', list, 0);
    expect(JSON.parse(b[0]).events).toHaveLength(SDK_BATCH_EVENTS);
    expect(b[1]).toEqual(list.slice(0, 50).map((e) => e.id));
  });

  it('stays under the byte limit with large multi-byte events', () => {
    const list = Array.from({ length: 50 }, (_, i) => event(i, { title: 'é€😀'.repeat(1000) }));
    const b = pack('shop', list, 0);
    expect(size(b[0])).toBeLessThanOrEqual(SDK_BATCH_BYTES);
    expect(JSON.parse(b[0]).events.length).toBe(b[1].length);
    expect(b[1].length).toBeGreaterThan(0);
    expect(b[1].length).toBeLessThan(50);
  });

  it('lets an event too large to ever fit leave the outbox, counted as dropped', () => {
    const b = pack('shop', [event(0, { title: 'x'.repeat(SDK_BATCH_BYTES) }), event(1)], 2);
    const body = JSON.parse(b[0]);
    expect(b[1]).toEqual(['e-0', 'e-1']);
    expect(body.events.map((e: WireEvent) => e.id)).toEqual(['e-1']);
    expect(body.dropped).toBe(3);
  });

  it('under a smaller limit (beside requests in flight), keeps an event that fits a batch for later, never dropped', () => {
    const b = pack('shop', [event(0, { title: 'x'.repeat(20_000) }), event(1)], 0, 16_000);
    expect(b[1]).toEqual([]);
    expect(JSON.parse(b[0]).dropped).toBe(0);
    expect(pack('shop', [event(1), event(0, { title: 'x'.repeat(20_000) })], 0, 16_000)[1]).toEqual(['e-1']);
  });
});
