// JSON text of what the script stores and sends, whatever the page did to how arrays serialize.

/**
 * `JSON.stringify`, with an `Array.prototype.toJSON` of the page's set aside while it runs and put back as it was
 * (enumerable or not). Prototype.js before 1.7 (still loaded by Magento 1 shops) defines one that makes every array a
 * string: cart items and form fields would travel as strings, and the closing tab's copy would not read back as a
 * list. One the page made impossible to remove (not configurable) is left alone.
 */
export function toJson(value: unknown): string {
  const arrays = Array.prototype;
  const pageToJson = Object.getOwnPropertyDescriptor(arrays, 'toJSON');
  if (!pageToJson?.configurable) return JSON.stringify(value);
  delete (arrays as { toJSON?: unknown }).toJSON;
  try {
    return JSON.stringify(value);
  } finally {
    Object.defineProperty(arrays, 'toJSON', pageToJson);
  }
}
