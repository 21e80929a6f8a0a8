// The shop as a single-page app: history routing, views rendered in place, the same cart store as the multi-page shop.
import {
  PRODUCTS,
  addToCart,
  cart,
  cartCount,
  cartPayload,
  cartValue,
  money,
  orders,
  placeOrder,
  product,
  removeFromCart,
  takeLastOrder,
} from '/js/store.js';

const track = (...args) => window.parcours(...args);
const view = document.getElementById('view');
const itemAttrs = (p) =>
  `data-item-id="${p.id}" data-item-name="${p.name}" data-price="${p.price}" data-currency="EUR"`;

const ROUTES = {
  '/': () => {
    document.title = 'Coffee gear for slow mornings · Kettle & Crema';
    view.innerHTML = `<section class="hero"><div><h1>Better coffee at home starts with the grind.</h1>
      <p class="lead">Small-batch grinders, kettles and beans chosen by baristas.</p>
      <p><a class="button" href="/products/">Shop the gear</a> <a class="button ghost" href="/blog/brewing-guide">Read the brewing guide</a></p></div>
      <img src="/img/hero.svg" alt="A pour-over coffee" width="480" height="360"></section>`;
  },
  '/blog/brewing-guide': () => {
    document.title = 'The five-minute pour-over · Kettle & Crema';
    view.innerHTML = `<article class="post"><p class="meta">Journal · Brewing guides</p><h1>The five-minute pour-over</h1>
      <p>Use 15 g of coffee for 250 g of water, grind medium-fine, bloom for thirty seconds, pour slowly in circles.</p>
      <aside class="cta"><a href="/newsletter">Join the newsletter</a> or see the <a href="/products/">gear we use</a>.</aside></article>`;
  },
  '/products/': () => {
    document.title = 'Shop · Kettle & Crema';
    view.innerHTML = `<h1>The shop</h1><div class="grid">${PRODUCTS.map(
      (
        p,
      ) => `<article class="card"><a href="/products/${p.slug}"><img src="/img/${p.slug}.svg" alt="${p.name}" width="320" height="220"></a>
        <h2><a href="/products/${p.slug}">${p.name}</a></h2><p>${p.blurb}</p><p class="price">${money(p.price)}</p>
        <button data-parcours-cart="add" ${itemAttrs(p)}>Add to cart</button></article>`,
    ).join('')}</div>`;
  },
  '/cart': () => {
    document.title = 'Your cart · Kettle & Crema';
    renderCart();
    if (cart().length) track('cart', 'view', cartPayload());
  },
  '/checkout/': () => {
    document.title = 'Checkout · Kettle & Crema';
    const lines = cart();
    view.innerHTML = `<h1>Checkout</h1><div class="checkout"><form id="checkout" class="panel" autocomplete="off">
      <label>Full name <input name="name" required></label><label>Email <input name="email" type="email" required></label>
      <label>Street address <input name="address" required></label>
      <div class="row"><label>Postcode <input name="postcode" required></label><label>City <input name="city" required></label></div>
      <label>Card number <input name="card" inputmode="numeric" required></label>
      <div class="row"><label>Expiry (MM/YY) <input name="expiry" required></label><label>CVC <input name="cvc" required></label></div>
      <button type="submit" id="pay">Pay now</button></form>
      <ul class="summary">${lines.map((l) => `<li>${l.qty} × ${l.name} <span>${money(l.price * l.qty)}</span></li>`).join('')}<li class="sum">Total <span>${money(cartValue(lines))}</span></li></ul></div>`;
    if (lines.length) track('cart', 'checkout', cartPayload(lines));
    document.getElementById('checkout').addEventListener('submit', (e) => {
      e.preventDefault();
      if (!cart().length) return;
      track('cart', 'payment', cartPayload());
      placeOrder();
      navigate('/checkout/confirmation');
    });
  },
  '/checkout/confirmation': () => {
    document.title = 'Thank you · Kettle & Crema';
    const order = takeLastOrder();
    if (order) track('cart', 'purchase', { ...cartPayload(order.lines), transaction_id: order.id });
    view.innerHTML = order
      ? `<h1>Thank you!</h1><div class="thanks" id="order"><p>Order <strong>${order.id}</strong> is confirmed: ${money(order.value)}.</p></div><p><a href="/account/">Your account</a></p>`
      : `<h1>Thank you!</h1><p><a href="/account/">See your orders</a></p>`;
  },
  '/account/': () => {
    document.title = 'Your account · Kettle & Crema';
    const list = orders();
    view.innerHTML = `<h1>Your account</h1><h2>Orders</h2><ul id="orders">${list.length ? list.map((o) => `<li><strong>${o.id}</strong> · ${money(o.value)}</li>`).join('') : '<li>No orders yet.</li>'}</ul>
      <p><a class="button" href="/products/">Buy again</a></p>`;
  },
  '/newsletter': () => {
    document.title = 'Newsletter · Kettle & Crema';
    view.innerHTML = `<h1>The monthly brew</h1><form id="newsletter" class="panel"><label>First name <input name="first_name"></label>
      <label>Email <input name="email" type="email" required></label><button type="submit">Subscribe</button></form>
      <p class="thanks" id="newsletter-thanks" hidden>Thanks! Check your inbox to confirm.</p>`;
    const form = document.getElementById('newsletter');
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      track('track', 'newsletter_signup', { stage: 'consideration' });
      form.hidden = true;
      document.getElementById('newsletter-thanks').hidden = false;
    });
  },
};

function productRoute(path) {
  const p = PRODUCTS.find((x) => `/products/${x.slug}` === path);
  if (!p) return undefined;
  return () => {
    document.title = `${p.name} · Kettle & Crema`;
    view.innerHTML = `<section class="product"><img src="/img/${p.slug}.svg" alt="${p.name}" width="320" height="220"><div>
      <p class="meta"><a href="/products/">Shop</a> / ${p.name}</p><h1>${p.name}</h1><p class="lead">${p.blurb}</p><p class="price">${money(p.price)}</p>
      <p><button id="add-to-cart" data-parcours-cart="add" ${itemAttrs(p)}>Add to cart</button> <a class="button ghost" href="/cart">View cart</a></p></div></section>`;
  };
}

function renderCart() {
  const lines = cart();
  view.innerHTML = `<h1>Your cart</h1><div id="cart-root">${
    lines.length
      ? `<table class="cart"><tbody>${lines
          .map(
            (l) =>
              `<tr><td>${l.name}</td><td class="qty">${l.qty}</td><td>${money(l.price * l.qty)}</td><td><button class="link remove-line" data-id="${l.id}">Remove</button></td></tr>`,
          )
          .join('')}</tbody></table><p class="total">Total <strong>${money(cartValue(lines))}</strong></p>
        <p class="actions"><a class="button" id="to-checkout" href="/checkout/">Checkout</a></p>`
      : '<p class="empty">Your cart is empty.</p>'
  }</div>`;
  for (const b of view.querySelectorAll('.remove-line')) {
    b.addEventListener('click', () => {
      const line = cart().find((l) => l.id === b.getAttribute('data-id'));
      if (!line) return;
      track('cart', 'remove', cartPayload([line]));
      removeFromCart(line.id);
      renderCart();
    });
  }
}

function header() {
  document.getElementById('site-header').innerHTML = `<a class="brand" href="/">Kettle <span>&amp;</span> Crema</a>
    <nav><a href="/blog/brewing-guide">Journal</a><a href="/products/">Shop</a><a href="/account/">Account</a>
    <a class="cart-link" href="/cart">Cart <span id="cart-count" class="badge">${cartCount()}</span></a></nav>`;
}

function render() {
  const path = location.pathname;
  (ROUTES[path] ?? productRoute(path) ?? ROUTES['/'])();
  header();
  window.scrollTo(0, 0);
}

/** Moves to `path` the way every SPA router does: pushState, then render. */
export function navigate(path) {
  history.pushState({}, '', path);
  render();
}

document.addEventListener('click', (e) => {
  const el = e.target instanceof Element ? e.target : null;
  const cartBtn = el?.closest('[data-parcours-cart="add"]');
  if (cartBtn) {
    addToCart(product(cartBtn.getAttribute('data-item-id')));
    header();
    return;
  }
  const a = el?.closest('a[href^="/"]');
  if (!a || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  if (a.getAttribute('href') !== location.pathname) navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', render);
render();
