// Satisfaction along the journey: the feedback scales, the survey events, and a survey as the admin API and the tag read it.

/** The feedback kinds and the whole scores each takes, lowest and highest (docs/PROTOCOL.md "Satisfaction"). */
export const FEEDBACK_SCALES = {
  /** Net Promoter Score: "Would you recommend us?", 0 to 10. */
  nps: [0, 10],
  /** Customer satisfaction: "Were you satisfied?", 1 to 5. */
  csat: [1, 5],
  /** Customer Effort Score: "How easy was it?", 1 to 7. */
  ces: [1, 7],
} as const;

export type FeedbackKind = keyof typeof FEEDBACK_SCALES;

export const FEEDBACK_KINDS = Object.keys(FEEDBACK_SCALES) as FeedbackKind[];

/** A score: `{ kind, score, survey? }`. */
export const FEEDBACK = 'feedback';
/** A Parcours survey was put before the visitor: `{ survey, kind }`. */
export const SURVEY_SHOWN = 'survey_shown';
/** The visitor closed a survey without answering: `{ survey, kind }`. */
export const SURVEY_DISMISSED = 'survey_dismissed';
/** The event types that name a survey. */
export const SURVEY_EVENTS = [FEEDBACK, SURVEY_SHOWN, SURVEY_DISMISSED] as const;

/** Whether `score` is a whole score on `kind`'s scale. */
export function isScore(kind: FeedbackKind, score: unknown): score is number {
  const [min, max] = FEEDBACK_SCALES[kind];
  return typeof score === 'number' && Number.isInteger(score) && score >= min && score <= max;
}

/** When a survey is due (every condition given must hold). */
export interface SurveyTrigger {
  /** The page's stage. */
  stage?: string;
  /** A glob on the page's path (`*` any characters), as URL rules are written: `/account/*`. */
  path?: string;
  /** After an event of this type on the page (`purchase`, `form_submit`, or a custom one). */
  after?: string;
  /** Seconds to wait after the page (or the `after` event) before asking; 0 by default. */
  delay_s?: number;
}

/** A survey as `GET /v1/sites/{site}/surveys` lists it for the tag. */
export interface Survey {
  id: string;
  kind: FeedbackKind;
  /** The question per language (`en`, `fr`, `pt-BR`), read for the page's `lang`; the first is the fallback. */
  question: Record<string, string>;
  trigger: SurveyTrigger;
  /** Share of the visitors for whom the survey is due that are asked, 0 to 1. */
  sample_rate: number;
  /** Days a visitor who saw a survey sees no other. */
  cooldown_days: number;
}

/** `GET /v1/sites/{site}/surveys`. */
export interface SurveysList {
  surveys: Survey[];
}
