// The carts feature's customer reference (identify()): an opaque key into the shop's own records, sent with cart events
// so that an abandoned cart can be matched to them. Never contact data: an email address or phone number is refused.
import { CONTACT_LIKE, MAX_CUSTOMER_LENGTH } from '@parcours/protocol';
import { CUSTOMER_KEY } from './keys.ts';
import { store } from './local-store.ts';

/**
 * Sets the visitor's customer reference (a string of at most 64 characters that does not look like an email address
 * or a phone number; anything else is ignored), or forgets it (`null`).
 * @example identify('c_10042')
 */
export function identify(ref: unknown): void {
  if (ref === null) store(CUSTOMER_KEY, '');
  else if (typeof ref == 'string' && ref && ref.length <= MAX_CUSTOMER_LENGTH && !CONTACT_LIKE.test(ref))
    store(CUSTOMER_KEY, ref);
}

/** The visitor's customer reference, or undefined. */
export const customerRef = (): string | undefined => store(CUSTOMER_KEY) || undefined;
