import { afterEach, describe, expect, it } from 'vitest';
import { toJson } from './json.ts';

/** What Prototype.js 1.6 puts on every array: JSON.stringify then writes arrays as strings. */
function prototypeJsArrays(): () => void {
  const toJSON = function (this: unknown[]) {
    return `[${this.map((x) => JSON.stringify(x)).join(', ')}]`;
  };
  // Prototype.js assigns it (Object.extend), so it is enumerable like any assigned property.
  (Array.prototype as { toJSON?: unknown }).toJSON = toJSON;
  return toJSON;
}

describe('toJson', () => {
  afterEach(() => {
    delete (Array.prototype as { toJSON?: unknown }).toJSON;
  });

  it('writes arrays as arrays on a page whose library made them serialize as strings', () => {
    prototypeJsArrays();
    const value = { items: [{ item_id: 'sku-1', price: 9 }], fields: [['email', 1]] };
    expect(JSON.parse(JSON.stringify(value)).items, 'the page broke JSON.stringify').toBeTypeOf('string');
    expect(JSON.parse(toJson(value))).toEqual(value);
  });

  it("puts the page's definition back as it was, for the page's own code", () => {
    const pageToJson = prototypeJsArrays();
    const before = Object.getOwnPropertyDescriptor(Array.prototype, 'toJSON');
    toJson([1, 2]);
    expect(Object.getOwnPropertyDescriptor(Array.prototype, 'toJSON')).toEqual(before);
    expect((Array.prototype as { toJSON?: unknown }).toJSON).toBe(pageToJson);
  });

  it('puts back a definition the page made non-enumerable as it was, and leaves a non-configurable one alone', () => {
    const hidden = function (this: unknown[]) {
      return 'hidden';
    };
    Object.defineProperty(Array.prototype, 'toJSON', { value: hidden, writable: true, configurable: true });
    expect(JSON.parse(toJson({ a: [1] }))).toEqual({ a: [1] });
    const after = Object.getOwnPropertyDescriptor(Array.prototype, 'toJSON');
    expect(after).toMatchObject({ value: hidden, enumerable: false, configurable: true });
    // for...in over the page's arrays sees no new key.
    const keys: string[] = [];
    for (const k in [1]) keys.push(k);
    expect(keys).toEqual(['0']);
  });

  it('is JSON.stringify on a page that left arrays alone', () => {
    const value = { a: [1, 'two', { b: null }], c: 'ü\u2028' };
    expect(toJson(value)).toBe(JSON.stringify(value));
    expect(Object.getOwnPropertyDescriptor(Array.prototype, 'toJSON')).toBeUndefined();
  });
});
