// The shop's catalogue, cart and order history, kept in localStorage: shared by the multi-page shop and the SPA.

export const CURRENCY = 'EUR';

export const PRODUCTS = [
  {
    slug: 'grinder',
    id: 'sku-grinder',
    name: 'Conical burr grinder',
    price: 129,
    colour: '#8a5a44',
    blurb: 'Forty steel-burr settings, from espresso to cold brew. Quiet enough for 6 a.m.',
  },
  {
    slug: 'kettle',
    id: 'sku-kettle',
    name: 'Gooseneck kettle',
    price: 59,
    colour: '#3f6f73',
    blurb: 'A slow, steady pour with a built-in thermometer. 1 litre, any hob.',
  },
  {
    slug: 'mug',
    id: 'sku-mug',
    name: 'Stoneware mug',
    price: 12.5,
    colour: '#c9a227',
    blurb: 'Hand-glazed in Limoges, 300 ml, keeps your coffee warm to the last sip.',
  },
  {
    slug: 'beans',
    id: 'sku-beans',
    name: 'Ethiopia Guji beans, 250 g',
    price: 16,
    colour: '#4b3a2f',
    blurb: 'Washed, light roast: peach, jasmine and bergamot. Roasted every Monday.',
  },
];

/** The product with this slug or item id. */
export function product(key) {
  return PRODUCTS.find((p) => p.slug === key || p.id === key);
}

/** Euros as the shop prints them. */
export function money(value) {
  return new Intl.NumberFormat('en-IE', { style: 'currency', currency: CURRENCY }).format(value);
}

const CART = 'shop-cart';
const ORDERS = 'shop-orders';
const LAST = 'shop-last-order';

function read(key, fallback, storage = localStorage) {
  try {
    return JSON.parse(storage.getItem(key) ?? '') ?? fallback;
  } catch {
    return fallback;
  }
}

/** Cart lines: `{ id, name, price, qty }`. */
export function cart() {
  return read(CART, []);
}

function save(lines) {
  localStorage.setItem(CART, JSON.stringify(lines.filter((l) => l.qty > 0)));
  document.dispatchEvent(new CustomEvent('shop:cart'));
}

/** Adds `qty` of an item to the cart. */
export function addToCart(item, qty = 1) {
  const lines = cart();
  const line = lines.find((l) => l.id === item.id);
  if (line) line.qty += qty;
  else lines.push({ id: item.id, name: item.name, price: item.price, qty });
  save(lines);
}

/** Takes `qty` of an item out of the cart (all of it when `qty` is omitted). */
export function removeFromCart(id, qty) {
  const lines = cart();
  const line = lines.find((l) => l.id === id);
  if (line) line.qty = qty === undefined ? 0 : line.qty - qty;
  save(lines);
}

/** Sum of price × quantity. */
export function cartValue(lines = cart()) {
  return Math.round(lines.reduce((s, l) => s + l.price * l.qty, 0) * 100) / 100;
}

/** Number of units in the cart. */
export function cartCount(lines = cart()) {
  return lines.reduce((s, l) => s + l.qty, 0);
}

/** The cart as the Parcours cart payload (GA4 items). */
export function cartPayload(lines = cart()) {
  return {
    items: lines.map((l) => ({ item_id: l.id, item_name: l.name, price: l.price, quantity: l.qty })),
    value: cartValue(lines),
    currency: CURRENCY,
  };
}

/** Turns the cart into an order (no personal data is kept: the shop only needs what was bought). */
export function placeOrder() {
  const lines = cart();
  const order = {
    id: `ord-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
    at: Date.now(),
    lines,
    value: cartValue(lines),
    tracked: false,
  };
  localStorage.setItem(ORDERS, JSON.stringify([...orders(), order]));
  sessionStorage.setItem(LAST, JSON.stringify(order));
  save([]);
  return order;
}

/** Past orders, oldest first. */
export function orders() {
  return read(ORDERS, []);
}

/** The order just placed in this tab, once: a reload of the confirmation page must not count a second purchase. */
export function takeLastOrder() {
  const order = read(LAST, null, sessionStorage);
  if (!order) return null;
  sessionStorage.removeItem(LAST);
  return order;
}
