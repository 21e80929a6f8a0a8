// Reads an admin survey body (`POST /v1/admin/sites/{site}/surveys`): every field checked, anything else refused.
import { cleanText, FEEDBACK_SCALES, type FeedbackKind, type Survey, type SurveyTrigger } from '@parcours/protocol';
import { failWithMessage } from '../errors.ts';
import { storedPath } from '../ingest/to-row.ts';
import { unknownField } from './json-body.ts';

/** A survey id, as the events name it (`survey`): the wire's name rule. */
const SURVEY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** A BCP 47 language tag as pages write `lang`: `en`, `fr`, `pt-BR`, `zh-Hant-TW`. */
const LANG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$/;
/** An event type that may trigger a survey (the wire's type rule). */
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_ .:-]{0,63}$/;
/** A path glob as URL rules are written, in the encoded form of `location.pathname`: from `/`, `*` any characters. */
const PATH_GLOB = /^\/[^\s?#]{0,199}$/;
/** Most languages one question may have, longest question. */
const MAX_LANGUAGES = 30;
const MAX_QUESTION_LENGTH = 300;
/** Longest wait before asking (an hour), longest cooldown (ten years). */
const MAX_DELAY_S = 3600;
const MAX_COOLDOWN_DAYS = 3650;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isWhole = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
/** `400 invalid-survey`, saying which field is wrong and what it may be. */
const refuse = (message: string): never => failWithMessage(400, 'invalid-survey', message);
const QUESTION = `question is an object of 1 to ${MAX_LANGUAGES} languages (en, pt-BR), each a text of 1 to ${MAX_QUESTION_LENGTH} characters`;

function question(v: unknown): Record<string, string> {
  if (!isRecord(v)) refuse(QUESTION);
  const entries = Object.entries(v as Record<string, unknown>);
  if (!entries.length || entries.length > MAX_LANGUAGES) refuse(QUESTION);
  const out: Record<string, string> = {};
  for (const [lang, text] of entries) {
    if (!LANG.test(lang) || typeof text !== 'string') refuse(QUESTION);
    const clean = cleanText(text as string, MAX_QUESTION_LENGTH + 1).trim();
    if (!clean || clean.length > MAX_QUESTION_LENGTH) refuse(QUESTION);
    out[lang] = clean;
  }
  return out;
}

function trigger(v: unknown, stages: readonly string[]): SurveyTrigger {
  if (v === undefined) return {};
  const fields = 'trigger is an object of any of stage, path, after, delay_s';
  if (!isRecord(v)) refuse(fields);
  const { stage, path, after, delay_s, ...rest } = v as Record<string, unknown>;
  if (Object.keys(rest).length) refuse(fields);
  const out: SurveyTrigger = {};
  if (stage !== undefined)
    out.stage =
      typeof stage === 'string' && stages.includes(stage)
        ? stage
        : refuse(`trigger.stage is one of the site's stages: ${stages.join(', ')}`);
  if (path !== undefined) {
    // The tag compares the glob with location.pathname, percent-encoded: `/produits/café/*` is kept as the pages have it.
    const glob = typeof path === 'string' && path.startsWith('/') && !/[?#]/.test(path) ? storedPath(path) : '';
    out.path = PATH_GLOB.test(glob)
      ? glob
      : refuse('trigger.path is a path glob from / of up to 200 characters once encoded, without query or fragment');
  }
  if (after !== undefined)
    out.after =
      typeof after === 'string' && EVENT_TYPE.test(after)
        ? after
        : refuse('trigger.after is an event type: a letter, then up to 63 letters, digits, spaces or _ . : -');
  if (delay_s !== undefined)
    out.delay_s = isWhole(delay_s, 0, MAX_DELAY_S)
      ? delay_s
      : refuse(`trigger.delay_s is a whole number from 0 to ${MAX_DELAY_S}`);
  return out;
}

/**
 * A survey from an admin body: `id` (an event name), `kind` (`nps`, `csat`, `ces`), `question` (1 to 30 languages,
 * each a text of at most 300 characters once control characters are removed), `trigger` (optional: `stage` one of the
 * site's, `path` a glob from `/`, `after` an event type, `delay_s` 0 to 3600), `sample_rate` (above 0, at most 1),
 * `cooldown_days` (0 to 3650). Any other field, or any field malformed: `400 invalid-survey`.
 */
export function readSurvey(body: Record<string, unknown>, stages: readonly string[]): Survey {
  const unknown = unknownField(body, ['id', 'kind', 'question', 'trigger', 'sample_rate', 'cooldown_days'], 'a survey');
  if (unknown) refuse(unknown);
  const { id, kind, question: q, trigger: t, sample_rate, cooldown_days } = body;
  if (typeof id !== 'string' || !SURVEY_ID.test(id))
    refuse('id is 1 to 64 letters, digits or _ . : -, starting with a letter or digit');
  if (typeof kind !== 'string' || !Object.hasOwn(FEEDBACK_SCALES, kind))
    refuse(`kind is ${Object.keys(FEEDBACK_SCALES).join(', ')}`);
  if (!(typeof sample_rate === 'number' && sample_rate > 0 && sample_rate <= 1))
    refuse('sample_rate is a number above 0 and at most 1');
  if (!isWhole(cooldown_days, 0, MAX_COOLDOWN_DAYS))
    refuse(`cooldown_days is a whole number from 0 to ${MAX_COOLDOWN_DAYS}`);
  return {
    id: id as string,
    kind: kind as FeedbackKind,
    question: question(q),
    trigger: trigger(t, stages),
    sample_rate: sample_rate as number,
    cooldown_days: cooldown_days as number,
  };
}
