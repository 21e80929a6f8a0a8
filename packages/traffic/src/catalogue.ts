// What synthetic visitors can visit and buy: the example shop's real pages, or a shop of any size for the benches.

export interface Product {
  /** Page path, under `/products/`. */
  path: string;
  id: string;
  name: string;
  price: number;
}

export interface Catalogue {
  products: readonly Product[];
  /** Blog posts (under `/blog/`): where most visits start. */
  posts: readonly string[];
  /** Page titles by path (a product's title is its name); others get the shop's name. */
  titles: Readonly<Record<string, string>>;
}

/** Titles of the pages every catalogue has (the example shop's). */
const PAGE_TITLES: Record<string, string> = {
  '/': 'Coffee gear for slow mornings',
  '/products/': 'Shop',
  '/cart': 'Your cart',
  '/checkout/': 'Checkout',
  '/checkout/confirmation': 'Thank you',
  '/account/': 'Your account',
  '/newsletter': 'Newsletter',
  '/quote': 'Coffee for offices',
};

/** The example shop (`examples/shop`): its four products and its one blog post, as `pnpm dev` serves them. */
export const SHOP_CATALOGUE: Catalogue = {
  products: [
    { path: '/products/grinder', id: 'sku-grinder', name: 'Conical burr grinder', price: 129 },
    { path: '/products/kettle', id: 'sku-kettle', name: 'Gooseneck kettle', price: 59 },
    { path: '/products/mug', id: 'sku-mug', name: 'Stoneware mug', price: 12.5 },
    { path: '/products/beans', id: 'sku-beans', name: 'Ethiopia Guji beans, 250 g', price: 16 },
  ],
  posts: ['/blog/brewing-guide'],
  titles: { ...PAGE_TITLES, '/blog/brewing-guide': 'The five-minute pour-over' },
};

/**
 * A shop laid out as the example one, with `products` product pages (`/products/p-0`…, priced 5 to 102.50)
 * and `posts` blog posts (`/blog/post-0`…): many distinct pages, as the report benches want.
 * @example createCatalogue({ products: 300, posts: 80 })
 */
export function createCatalogue({ products, posts }: { products: number; posts: number }): Catalogue {
  return {
    products: Array.from({ length: products }, (_, i) => ({
      path: `/products/p-${i}`,
      id: `sku-${i}`,
      name: `Product ${i}`,
      price: 5 + (i % 40) * 2.5,
    })),
    posts: Array.from({ length: posts }, (_, i) => `/blog/post-${i}`),
    titles: PAGE_TITLES,
  };
}
