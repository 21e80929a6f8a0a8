// The tracker: builds each event (ids, stage, clean url), puts it in the outbox, and runs the public calls.
import type { WireEvent } from '@parcours/protocol';
import { cartFields } from './cart-tracking.ts';
import { guard } from './guard.ts';
import { sessionId, uuid, visitorId } from './ids.ts';
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
  const e: WireEvent = {
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
    visitor: visitorId(),
    session: sessionId(now),
    url: here[0]!,
    ...fields,
  };
  if (type == 'purchase') store('pcc', '1');
  put(e);
  soon();
  dispatchEvent(new CustomEvent('parcours:event', { detail: e }));
}

/** Runs a public call by name (`track`, `page`, `stage`, `cart`, `consent`, `flush`); unknown names are ignored, nothing throws. */
export const run = guard((name: string, [a, p]: any[]): unknown => {
  p ||= {};
  const ct = cartType(a);
  if (name == 'cart' || (name == 'track' && ct)) return emit(ct || a, cartFields(p), p.stage);
  if (name == 'track') {
    // Custom event props: primitives only (JSON keeps them; a function or symbol would vanish, a bigint throw here, not later).
    const props: Loose = {};
    for (const k in p) if (k != 'stage' && /^(st|bo|nu)/.test(typeof p[k])) props[k] = p[k];
    return emit(a, { props }, p.stage);
  }
  if (name == 'page') return route(a);
  if (name == 'stage') declared = a;
  if (name == 'flush') return off() ? Promise.resolve(false) : flush();
  if (name == 'consent') {
    store('pco', a === false ? '0' : '1');
    pause(a === false);
    if (a === false) return empty();
  }
});
