// The tracker: builds each event (ids, stage, clean url), puts it in the outbox, and runs the public calls.
import type { WireEvent } from '@parcours/protocol';
import { guard } from './guard.ts';
import { ids, uuid } from './ids.ts';
import { store } from './local-store.ts';
import { cartType } from './names.ts';
import type { Config } from './options.ts';
import { empty, put } from './outbox.ts';
import { optedOut } from './privacy.ts';
import { flush, pause, soon } from './sender.ts';
import { resolveStage } from './stage-rules.ts';
import { cleanUrl } from './url-clean.ts';

type Loose = Record<string, any>;

let c: Config;
let declared: string | undefined;
// The page being shown: its cleaned URL and its path for stage rules, fixed when it is shown.
let here: string[] = [];
let route: (props?: Loose) => void = () => {};

/** Sets the configuration every event is built with, and what `page()` does (the lifecycle's route change). */
export const setConfig = (config: Config, page: (props?: Loose) => void): void => {
  c = config;
  route = page;
};

/** Whether nothing may be sent: Do Not Track / GPC (unless `respectDnt` is `off`) or consent withdrawn. */
const off = () => (c.respectDnt != 'off' && optedOut()) || store('pco') == '0';

/** The cleaned URL of the page being shown. */
export const pageUrl = (): string => here[0]!;

/**
 * A page is shown (first or SPA route): fixes its URL and path for its events and forgets the previous
 * page's stage declaration (not on the first page: a `stage()` queued before the script loaded is this page's).
 */
export function newPage(): void {
  if (here[0]) declared = undefined;
  here = [cleanUrl(location.href, c.keepParams), location.pathname];
}

/**
 * Queues an event of `type` with its extra fields; `stage` is the explicit stage (rule 1). Every
 * queued event is announced as `window` CustomEvent `parcours:event` (detail: the event).
 */
export function emit(type: string, fields?: Loose, stage?: string): void {
  if (off()) return;
  const now = Date.now();
  const [visitor, session] = ids(now);
  // Through JSON once: what it cannot hold (functions, symbols) is gone, what it refuses (cycles, bigint) throws here,
  // inside the call's guard, instead of in every later send; and IndexedDB can store the copy. The extra fields come
  // first, so that no payload key can replace an event's own fields; the collector keeps only the fields it knows.
  const e: WireEvent = JSON.parse(
    JSON.stringify({
      ...fields,
      id: uuid(),
      type,
      ts: now,
      stage: resolveStage(
        type,
        here[1]!,
        c.stages,
        stage,
        declared || document.querySelector<HTMLMetaElement>('meta[name="parcours:stage"]')?.content,
        c.rules || (window as Loose).parcoursConfig?.rules,
        store('pcc') == '1',
      ),
      visitor,
      session,
      url: here[0]!,
    }),
  );
  if (type == 'purchase') store('pcc', '1');
  put(e);
  soon();
  dispatchEvent(new CustomEvent('parcours:event', { detail: e }));
}

const calls: Record<string, (a: any, p: Loose) => unknown> = {
  // A GA4 payload goes as it is: the collector reads its cart fields (see cart-tracking) and leaves the rest.
  cart: (a, p) => emit(cartType(a) || a, p, p.stage),
  track(a, p) {
    if (cartType(a)) return calls.cart!(a, p);
    // Custom props: the collector keeps primitives (see emit for what JSON drops).
    const { stage, ...props } = p;
    emit(a, { props }, stage);
  },
  page: (a) => route(a),
  stage: (a) => (declared = a),
  // Nothing is queued while tracking is off, so a flush then has nothing to send.
  flush,
  consent(a) {
    store('pco', a === false ? '0' : '1');
    pause(a === false);
    if (a === false) {
      store('pcs', ''); // forget the visitor: consent given again starts a new one
      return empty();
    }
  },
};

/** Runs a public call by name (`track`, `page`, `stage`, `cart`, `consent`, `flush`); unknown names are ignored, nothing throws. */
export const run = guard((name: string, [a, p]: any[]): unknown => calls[name]!(a, p || {}));
