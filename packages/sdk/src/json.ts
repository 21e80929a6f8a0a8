// JSON text of what the script stores and sends, whatever the page did to how arrays serialize.

/**
 * `JSON.stringify`, with an `Array.prototype.toJSON` of the page's set aside while it runs. Prototype.js before 1.7
 * (still loaded by Magento 1 shops) assigns one that makes every array a string: cart items and form fields would
 * travel as strings, and the closing tab's copy would not read back as a list. It is assigned back the way
 * Prototype.js assigns it.
 */
export function toJson(value: unknown): string {
  const arrays = Array.prototype as { toJSON?: unknown };
  const pageToJson = arrays.toJSON;
  if (!pageToJson) return JSON.stringify(value);
  delete arrays.toJSON;
  try {
    return JSON.stringify(value);
  } finally {
    arrays.toJSON = pageToJson;
  }
}
