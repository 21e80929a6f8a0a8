// The survey feature: reads the site's surveys once per page and, when one is due for this visitor on this page, loads
// the survey module (parcours-survey.js) to ask it. Nothing is read or loaded while the visitor is in a cooldown.
import type { Survey, WireEvent } from '@parcours/protocol';
import { on } from './guard.ts';
import { SURVEY_KEY } from './keys.ts';
import { store } from './local-store.ts';
import { globToRegExp } from './stage-rules.ts';
import { getJson } from './transport.ts';

type Emit = (type: string, fields?: Record<string, unknown>) => void;
/** What the module exposes once loaded: asks `survey`, reports through `send` (`survey_shown`, `feedback`, `survey_dismissed`). */
type Ask = (survey: Survey, send: (type: string, score?: number) => void) => void;

const DAY_MS = 864e5;

/** Whether a survey was shown less than its cooldown ago, in any tab. */
const cooling = () => +(store(SURVEY_KEY) || 0) > Date.now();

/** Whether `visitor` is in the `rate` share of the visitors asked `id`: the same answer on every page (FNV-1a). */
export function sampled(visitor: string, id: string, rate: number): boolean {
  let h = 0x811c9dc5;
  for (const c of visitor + id) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h >>> 0) / 2 ** 32 < rate;
}

/**
 * Watches the page's events (`parcours:event`) against the site's surveys (`GET {endpoint}/v1/sites/{site}/surveys`): a
 * survey is due when its trigger's `stage` is the page's, its `path` glob matches the page's path, and either it has
 * no `after` or an event of that type was sent from this page; and the visitor is sampled in. One survey a page, asked
 * `delay_s` later unless another tab showed one meanwhile; the cooldown is written before the module loads, so two
 * tabs never both ask.
 */
export function watchSurveys(endpoint: string, site: string, emit: Emit): void {
  if (cooling()) return;
  // The site's surveys: undefined until read, at the first page view.
  let surveys: Survey[] | undefined;
  // The page's view, and the types of the events sent from it since.
  let view: WireEvent | undefined;
  let sent: string[] = [];
  let asked = false;

  const ask = (survey: Survey) => {
    asked = true;
    // Under a Web Lock shared by the origin's tabs (where the browser has them): two tabs due at the same moment take
    // turns, and the second finds the cooldown the first wrote.
    const show = () => {
      if (cooling()) return;
      store(SURVEY_KEY, '' + (Date.now() + survey.cooldown_days * DAY_MS));
      const script = document.createElement('script');
      script.src = `${endpoint}/parcours-survey.js`;
      script.onload = () =>
        ((window as any).parcoursAsk as Ask)(survey, (type, score) =>
          emit(type, { kind: survey.kind, survey: survey.id, score }),
        );
      document.head.append(script);
    };
    setTimeout(() => navigator.locks?.request(SURVEY_KEY, show) || show(), (survey.trigger.delay_s || 0) * 1000);
  };
  const check = () => {
    // Surveys are read at the first page view: once there are some, there is a view.
    for (const s of (!asked && surveys) || []) {
      const { stage, path: glob, after } = s.trigger;
      if (
        (!stage || stage == view!.stage) &&
        (!glob || globToRegExp(glob).test(location.pathname)) &&
        (!after || sent.includes(after)) &&
        sampled(view!.visitor, s.id, s.sample_rate)
      )
        return ask(s);
    }
  };

  on('parcours:event', ({ detail }: CustomEvent<WireEvent>) => {
    if (detail.type == 'page_view') {
      view = detail;
      sent = [];
      asked = false;
      // Read at the first page view: a page that sends nothing (Do Not Track, consent withdrawn) asks nothing either.
      if (!surveys) {
        surveys = [];
        getJson(`${endpoint}/v1/sites/${site}/surveys`)
          .then((list) => {
            surveys = list.surveys;
            check();
          })
          .catch(() => {});
      }
    } else sent.push(detail.type);
    check();
  });
}
