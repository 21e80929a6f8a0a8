// The multi-page shop's behaviour: header and cart badge, add-to-cart, cart page, checkout, confirmation, account, forms.
// Tracking is left to the Parcours tag and its data- attributes; the few explicit calls are the documented `parcours(...)` API.
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
} from './store.js';

// The page's own events (cart viewed, checkout begun, purchase) wait for the load event, by which time the async tag
// has run and counted the page view: they then follow it in the journey instead of being replayed before it.
const track = (...args) => {
  if (document.readyState === 'complete') window.parcours(...args);
  else addEventListener('load', () => window.parcours(...args), { once: true });
};
const $ = (sel) => document.querySelector(sel);

function header() {
  const el = $('#site-header');
  if (!el) return;
  el.innerHTML = `
    <a class="brand" href="/">Kettle <span>&amp;</span> Crema</a>
    <nav>
      <a href="/blog/brewing-guide">Journal</a>
      <a href="/products/">Shop</a>
      <a href="/quote">For offices</a>
      <a href="/account/">Account</a>
      <a class="cart-link" href="/cart">Cart <span id="cart-count" class="badge">0</span></a>
    </nav>`;
  for (const a of el.querySelectorAll('nav a'))
    if (a.getAttribute('href') === location.pathname) a.classList.add('current');
  badge();
}

function badge() {
  const b = $('#cart-count');
  if (b) b.textContent = String(cartCount());
}

function footer() {
  const el = $('#site-footer');
  if (el)
    el.innerHTML = `<p>Kettle &amp; Crema · small-batch coffee gear · <a href="/newsletter">Newsletter</a> · <a href="/quote">Office quotes</a></p>
    <p class="fine">A demo shop for Parcours. Nothing is sold, nothing you type leaves this page.</p>`;
}

function toast(text) {
  const t = document.createElement('div');
  t.className = 'toast';
  t.setAttribute('role', 'status');
  t.textContent = text;
  document.body.append(t);
  setTimeout(() => t.remove(), 1800);
}

// Add-to-cart buttons carry the item in data- attributes: Parcours reads them for the event, the shop for its cart.
document.addEventListener('click', (e) => {
  const btn = e.target instanceof Element ? e.target.closest('[data-parcours-cart]') : null;
  if (!btn) return;
  const p = product(btn.getAttribute('data-item-id'));
  if (!p) return;
  if (btn.getAttribute('data-parcours-cart') === 'add') {
    addToCart(p);
    if (!btn.closest('#cart-root')) toast(`${p.name} added to your cart`);
  } else if (btn.getAttribute('data-parcours-cart') === 'remove') {
    removeFromCart(p.id, 1);
  }
});
const refresh = () => {
  badge();
  if ($('#cart-root')) renderCart();
};
document.addEventListener('shop:cart', refresh);
// Another tab of the shop changed the cart: show it here too.
addEventListener('storage', (e) => e.key === 'shop-cart' && refresh());

function itemAttrs(p) {
  return `data-item-id="${p.id}" data-item-name="${p.name}" data-price="${p.price}" data-currency="EUR"`;
}

function renderCart() {
  const root = $('#cart-root');
  const lines = cart();
  if (lines.length === 0) {
    root.innerHTML = `<p class="empty">Your cart is empty. <a href="/products/">Browse the shop</a>.</p>`;
    return;
  }
  root.innerHTML = `
    <table class="cart">
      <thead><tr><th>Item</th><th>Price</th><th>Quantity</th><th>Total</th><th></th></tr></thead>
      <tbody>${lines
        .map((l) => {
          const p = product(l.id);
          return `<tr data-line="${l.id}">
            <td><span class="swatch" style="background:${p.colour}"></span>${l.name}</td>
            <td>${money(l.price)}</td>
            <td class="qty">
              <button class="small" aria-label="One less" data-parcours-cart="remove" ${itemAttrs(p)}>−</button>
              <span class="n">${l.qty}</span>
              <button class="small" aria-label="One more" data-parcours-cart="add" ${itemAttrs(p)}>+</button>
            </td>
            <td>${money(l.price * l.qty)}</td>
            <td><button class="link remove-line" data-id="${l.id}">Remove</button></td>
          </tr>`;
        })
        .join('')}</tbody>
    </table>
    <p class="total">Total <strong id="cart-total">${money(cartValue(lines))}</strong></p>
    <p class="actions"><a class="button ghost" href="/products/">Keep shopping</a> <a class="button" id="to-checkout" href="/checkout/">Checkout</a></p>`;
  for (const b of root.querySelectorAll('.remove-line')) {
    b.addEventListener('click', () => {
      // A whole line goes at once: tell Parcours how many units left the cart, so the cart's value stays right.
      const line = cart().find((l) => l.id === b.getAttribute('data-id'));
      if (!line) return;
      track('cart', 'remove', cartPayload([line]));
      removeFromCart(line.id);
    });
  }
}

const pages = {
  products() {
    const root = $('#product-grid');
    root.innerHTML = PRODUCTS.map(
      (p) => `<article class="card">
        <a href="/products/${p.slug}"><img src="/img/${p.slug}.svg" alt="${p.name}" width="320" height="220"></a>
        <h2><a href="/products/${p.slug}">${p.name}</a></h2>
        <p>${p.blurb}</p>
        <p class="price">${money(p.price)}</p>
        <button ${itemAttrs(p)} data-parcours-cart="add">Add to cart</button>
      </article>`,
    ).join('');
  },
  cart() {
    renderCart();
    if (cart().length) track('cart', 'view', cartPayload());
  },
  checkout() {
    const form = $('#checkout');
    const lines = cart();
    $('#summary').innerHTML = lines.length
      ? lines.map((l) => `<li>${l.qty} × ${l.name} <span>${money(l.price * l.qty)}</span></li>`).join('') +
        `<li class="sum">Total <span>${money(cartValue(lines))}</span></li>`
      : '<li>Your cart is empty.</li>';
    if (lines.length) track('cart', 'checkout', cartPayload(lines));
    // The demo's coupon field rejects every code, as a shop's validation would mark a wrong one.
    $('#apply-coupon').addEventListener('click', () => {
      $('#coupon').setAttribute('aria-invalid', 'true');
      $('#coupon-error').hidden = false;
    });
    form.addEventListener('submit', (e) => {
      // The shop handles the order itself: form values never go into a URL (query strings end up in referrers and logs).
      e.preventDefault();
      if (!cart().length) return;
      track('cart', 'payment', cartPayload());
      placeOrder();
      location.assign('/checkout/confirmation');
    });
  },
  confirmation() {
    const order = takeLastOrder();
    const root = $('#order');
    if (!order) {
      root.innerHTML = '<p>No recent order in this tab. <a href="/account/">See your orders</a>.</p>';
      return;
    }
    track('cart', 'purchase', { ...cartPayload(order.lines), transaction_id: order.id });
    root.innerHTML = `<p>Order <strong>${order.id}</strong> is confirmed: ${money(order.value)}.</p>
      <ul>${order.lines.map((l) => `<li>${l.qty} × ${l.name}</li>`).join('')}</ul>`;
  },
  account() {
    const list = orders();
    $('#orders').innerHTML = list.length
      ? list
          .map(
            (o) =>
              `<li><strong>${o.id}</strong> · ${new Date(o.at).toLocaleDateString('en-GB')} · ${money(o.value)} · ${o.lines.map((l) => `${l.qty} × ${l.name}`).join(', ')}</li>`,
          )
          .join('')
      : '<li>No orders yet.</li>';
    $('#refer')?.addEventListener('click', () => {
      track('track', 'referral_share', { stage: 'advocacy' });
      $('#refer-done').hidden = false;
    });
  },
  newsletter() {
    thanksOnSubmit('#newsletter', 'newsletter_signup');
  },
  quote() {
    thanksOnSubmit('#quote', 'quote_request');
  },
};

function thanksOnSubmit(sel, event) {
  const form = $(sel);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    track('track', event, { stage: 'consideration' });
    form.hidden = true;
    $(`${sel}-thanks`).hidden = false;
  });
}

header();
footer();
pages[document.body.dataset.page]?.();
