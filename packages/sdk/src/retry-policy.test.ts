import { describe, expect, it, vi } from 'vitest';
import { backoff, BACKOFF_CAP, retryAfter, shouldRetry } from './retry-policy.ts';

describe('retry policy', () => {
  it('retries network errors, 408, 429 and 5xx; lets 2xx and every other 4xx go', () => {
    expect([0, 408, 429, 500, 502, 503].map(shouldRetry)).toEqual([true, true, true, true, true, true]);
    expect([200, 204, 400, 401, 403, 404, 413, 415].map(shouldRetry)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('backs off exponentially with jitter between half and all of the step, capped at five minutes', () => {
    const r = vi.spyOn(Math, 'random');
    r.mockReturnValue(0);
    expect([0, 1, 2, 3].map(backoff)).toEqual([500, 1000, 2000, 4000]);
    r.mockReturnValue(0.999999);
    expect(backoff(0)).toBeCloseTo(1000, 0);
    expect(backoff(30)).toBeLessThanOrEqual(BACKOFF_CAP);
    expect(backoff(30)).toBeGreaterThan(BACKOFF_CAP / 2);
    r.mockRestore();
  });

  it("reads a 429's Retry-After in seconds, and anything else as no advice", () => {
    const reply = (status: number, after?: string) =>
      new Response(null, { status, headers: after ? { 'Retry-After': after } : {} });
    expect(retryAfter(reply(429, '10'))).toBe(10_000);
    expect(retryAfter(reply(429, '0.5'))).toBe(500);
    expect(retryAfter(reply(429))).toBe(0);
    expect(retryAfter(reply(429, 'soon'))).toBe(0);
    expect(retryAfter(reply(429, 'Mon, 23 Nov 2026 10:00:30 GMT'))).toBe(0);
    expect(retryAfter(reply(503, '10'))).toBe(0);
    expect(retryAfter({ status: 0 })).toBe(0);
  });
});
