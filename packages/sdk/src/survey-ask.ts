// The survey module (parcours-survey.js): loaded by the tag's survey feature only when a survey is due, it asks one
// question in a small non-modal dialog and reports what happened (survey_shown, feedback, survey_dismissed).
//
// The dialog lives in a shadow root, so the page's styles (a global `button` or `dialog` rule) cannot reach inside;
// the page themes it through CSS custom properties, which cross the shadow boundary:
// --parcours-survey-background, --parcours-survey-color, --parcours-survey-accent, --parcours-survey-radius,
// --parcours-survey-font. It is fixed to a corner (no layout shift), moves away from (or hides behind) a form field
// being typed in, takes focus only when the visitor is not typing, gives it back when it closes, and moves only for
// visitors who did not ask for reduced motion.
import { FEEDBACK_SCALES, type Survey } from '@parcours/protocol';
import { guard } from './guard.ts';

type Send = (type: string, score?: number) => void;

/** The dialog's own words, by language; English when the page's language is not here. */
const WORDS: Record<string, [close: string, thanks: string]> = {
  en: ['Close', 'Thank you!'],
  fr: ['Fermer', 'Merci !'],
  de: ['Schließen', 'Danke!'],
  es: ['Cerrar', '¡Gracias!'],
  it: ['Chiudi', 'Grazie!'],
  pt: ['Fechar', 'Obrigado!'],
  nl: ['Sluiten', 'Bedankt!'],
};

const STYLE = `
:host{all:initial}
section{box-sizing:border-box;max-width:min(26rem,calc(100vw - 2rem));padding:1rem 2.5rem 1rem 1rem;
  background:var(--parcours-survey-background,#fff);color:var(--parcours-survey-color,#1a1a1a);
  font:15px/1.4 var(--parcours-survey-font,system-ui,sans-serif);border-radius:var(--parcours-survey-radius,8px);
  box-shadow:0 4px 24px rgba(0,0,0,.25);position:relative}
section:focus{outline:none}
p{margin:0 0 .75rem;font-weight:600}
.scores{display:flex;flex-wrap:wrap;gap:.25rem}
button{font:inherit;color:inherit;background:transparent;margin:0;cursor:pointer;
  border:1px solid currentColor;border-radius:calc(var(--parcours-survey-radius,8px)/2);min-width:2.25rem;min-height:2.25rem}
.scores button:hover{background:var(--parcours-survey-accent,#1f4fd8);border-color:var(--parcours-survey-accent,#1f4fd8);color:#fff}
button:focus-visible{outline:3px solid var(--parcours-survey-accent,#1f4fd8);outline-offset:2px}
.close{position:absolute;top:.5rem;right:.5rem;border:0;min-width:2rem;min-height:2rem;font-size:1.25rem;line-height:1}
.status{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
@media (prefers-reduced-motion:no-preference){section{animation:in .25s ease-out}}
@keyframes in{from{opacity:0;transform:translateY(1rem)}}
`;

/** The corner the dialog sits in, and its place out of the way of a field: bottom, else top, else hidden. */
const PLACES = ['bottom:1rem', 'top:1rem'];

/** A field the visitor types in: focus there is never taken and never covered. */
const isField = (el: Element | null): el is HTMLElement =>
  !!el && (/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || (el as HTMLElement).isContentEditable);

/** The best entry of `map` for the page's language (`pt-BR`: `pt-BR`, then `pt`), else its first. */
function localized<T>(map: Record<string, T>, lang: string): T | undefined {
  const primary = lang.split('-')[0]!;
  const key =
    Object.keys(map).find((k) => k.toLowerCase() == lang) ?? Object.keys(map).find((k) => k.toLowerCase() == primary);
  return map[key ?? Object.keys(map)[0]!];
}

/**
 * Shows `survey`'s question with one button per score of its kind; `send` reports `survey_shown` once shown,
 * `feedback` with the score chosen, or `survey_dismissed` (close button or Escape).
 */
export function ask(survey: Survey, send: Send): void {
  const lang = (document.documentElement.lang || navigator.language || 'en').toLowerCase();
  const question = localized(survey.question, lang);
  const [closeLabel, thanks] = localized(WORDS, lang)!;
  const [min, max] = FEEDBACK_SCALES[survey.kind] ?? [];
  if (!question || min === undefined || max === undefined) return;

  const host = document.createElement('parcours-survey');
  const root = host.attachShadow({ mode: 'open' });
  root.innerHTML = `<style>${STYLE}</style><section role="dialog" aria-modal="false" aria-labelledby="q" tabindex="-1"><p id="q"></p><div class="scores" role="group" aria-labelledby="q"></div><button type="button" class="close">×</button></section><div class="status" role="status" aria-live="polite"></div>`;
  const dialog = root.querySelector('section')!;
  const status = root.querySelector('.status')!;
  const scores = root.querySelector('.scores')!;
  const close = root.querySelector<HTMLButtonElement>('.close')!;
  root.querySelector('p')!.textContent = question;
  close.setAttribute('aria-label', closeLabel);
  for (let n = min; n <= max; n++) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = String(n);
    button.onclick = () => end('feedback', n);
    scores.append(button);
  }

  // Where focus was before: given back when the dialog closes, if the dialog had it.
  const before = document.activeElement as HTMLElement | null;
  let place = 0;
  const position = () =>
    (host.style.cssText = `position:fixed!important;z-index:2147483647!important;right:1rem!important;${
      place < PLACES.length ? `${PLACES[place]}!important` : 'visibility:hidden!important'
    }`);
  // Out of the way of a focused field: the first corner whose box does not cross the field's, else hidden until it blurs.
  const avoid = guard(() => {
    const field = document.activeElement;
    for (place = 0; place < PLACES.length; place++) {
      position();
      if (!isField(field)) return;
      const a = field.getBoundingClientRect();
      const b = host.getBoundingClientRect();
      if (a.bottom <= b.top || b.bottom <= a.top || a.right <= b.left || b.right <= a.left) return;
    }
    position();
  });
  const onFocus = () => setTimeout(avoid);

  const end = (type: string, score?: number) => {
    send(type, score);
    removeEventListener('focusin', onFocus, true);
    removeEventListener('focusout', onFocus, true);
    removeEventListener('resize', avoid);
    // Focus inside the dialog goes back where it was; blurred first: WebKit keeps focus on a control being hidden, and
    // the page's body (where focus was when nothing had it) takes none.
    if (document.activeElement == host) {
      (root.activeElement as HTMLElement | null)?.blur();
      if (before?.isConnected) before.focus?.();
    }
    if (type == 'feedback') {
      // The thanks, announced, then gone; the dialog's controls are gone at once (focus is back on the page).
      dialog.hidden = true;
      status.textContent = thanks;
      setTimeout(() => host.remove(), 2500);
    } else host.remove();
  };
  close.onclick = () => end('survey_dismissed');
  dialog.onkeydown = (e) => {
    if (e.key == 'Escape') end('survey_dismissed');
    // Arrows move along the scores, as in a toolbar.
    const i = [...scores.children].indexOf(root.activeElement as Element);
    const step =
      e.key == 'ArrowRight' || e.key == 'ArrowDown' ? 1 : e.key == 'ArrowLeft' || e.key == 'ArrowUp' ? -1 : 0;
    if (i >= 0 && step) {
      e.preventDefault();
      (scores.children[Math.min(scores.children.length - 1, Math.max(0, i + step))] as HTMLElement).focus();
    }
  };

  document.body.append(host);
  avoid();
  addEventListener('focusin', onFocus, true);
  addEventListener('focusout', onFocus, true);
  addEventListener('resize', avoid);
  // Focus only when the visitor is not typing: then the dialog's name (the question) is read out; otherwise the
  // question is announced and the dialog waits at the end of the tab order.
  if (isField(before)) status.textContent = question;
  else dialog.focus();
  send('survey_shown');
}

// The tag's survey feature calls it once this script has loaded (src/surveys.ts).
(window as any).parcoursAsk = guard(ask);
