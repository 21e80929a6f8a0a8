// JSON text of what the script stores and sends, whatever the page did to how arrays serialize.

/**
 * `JSON.stringify`, with an `Array.prototype.toJSON` of the page's set aside while it runs and put back as it was
 * (enumerable or not). Prototype.js before 1.7 (still loaded by Magento 1 shops) defines one that makes every array a
 * string: cart items and form fields would travel as strings. One the page made impossible to remove (not
 * configurable) is left alone. The core, friction and survey variants send no array (the outbox's copy is written event
 * by event, see outbox `save`; friction's events hold none and its saved page is text): plain `JSON.stringify` is theirs.
 */
export const toJson: (value: unknown) => string =
  FEATURE_FORMS || FEATURE_CARTS ? withoutPageArrayJson : JSON.stringify;

function withoutPageArrayJson(value: unknown): string {
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
