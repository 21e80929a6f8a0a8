// The satisfaction report against a plain computation over the same random answers: overall, per stage, per page, with
// and without friction, per channel, filtered, per day and week; and the known NPS of 10 promoters, 5 passives and 5
// detractors.
import { beforeAll, describe, expect, it } from 'vitest';
import { FEEDBACK_SCALES, type FeedbackKind, type SatisfactionReport, type WireEvent } from '@parcours/protocol';
import { registerSite } from '../../test/helpers.ts';
import { get, report, send, wire } from '../../test/test-support.ts';

const STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];
const PATHS = ['/', '/blog/a', '/p/mug', '/pricing', '/cart', '/checkout', '/account', '/refer'];
const KINDS = Object.keys(FEEDBACK_SCALES) as FeedbackKind[];
const REFERRERS: Array<[string | undefined, string]> = [
  [undefined, 'direct'],
  ['https://www.google.com/', 'organic_search'],
  ['https://l.facebook.com/', 'organic_social'],
];
const HOUR = 3_600_000;
const start = Date.now() - 5 * 24 * HOUR;
const period = { from: new Date(start - HOUR).toISOString(), to: new Date(Date.now() + HOUR).toISOString() };

/** One answer as the reference sees it. */
interface Answer {
  kind: FeedbackKind;
  score: number;
  stage: string;
  session: string;
  channel: string;
  /** When it was given (ms). */
  at: number;
}

/** The seeded history's answers, each session's paths, channel and friction, and the surveys shown and answered. */
const answers: Answer[] = [];
const sessionPaths = new Map<string, Set<string>>();
const sessionChannel = new Map<string, string>();
const frictionSessions = new Set<string>();
const shown = new Set<string>();
const answered = new Set<string>();

function history(): WireEvent[][] {
  // mulberry32, seeded: uniform where fast-check's generators lean to small values and edges on purpose.
  let seed = 18;
  const next = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((((x ^ (x >>> 14)) >>> 0) / 4294967296) * n) | 0;
  };
  const batches: WireEvent[][] = [];
  for (let v = 0; v < 60; v++) {
    const visitor = `v${v}`;
    for (let s = 0, sessions = 1 + next(2); s < sessions; s++) {
      const session = `${visitor}-s${s}`;
      const [referrer, channel] = REFERRERS[next(REFERRERS.length)]!;
      sessionChannel.set(session, channel);
      const paths = new Set<string>();
      sessionPaths.set(session, paths);
      let t = start + next(96) * HOUR + s * 2 * HOUR;
      const batch: WireEvent[] = [];
      const ev = (e: Omit<Parameters<typeof wire>[0], 'visitor' | 'session' | 'ts'>) =>
        batch.push(wire({ visitor, session, ts: (t += 1000 + next(60_000)), ...e }));
      for (let n = 0, views = 1 + next(4); n < views; n++) {
        const path = PATHS[next(PATHS.length)]!;
        const stage = STAGES[next(STAGES.length)]!;
        paths.add(path);
        ev({ type: 'page_view', stage, path, ...(n === 0 && referrer ? { referrer } : {}) });
        if (next(8) === 0) {
          ev({ type: next(2) ? 'rage_click' : 'quick_back', stage, path, target: 'buy', clicks: 3 });
          frictionSessions.add(session);
        }
        const roll = next(6);
        if (roll < 3) {
          const kind = KINDS[next(KINDS.length)]!;
          const [min, max] = FEEDBACK_SCALES[kind];
          const score = min + next(max - min + 1);
          const survey = `s-${kind}`;
          const asked = roll < 2;
          if (asked) {
            ev({ type: 'survey_shown', stage, path, kind, survey });
            shown.add(`${session} ${survey}`);
          }
          ev({ type: 'feedback', stage, path, kind, score, ...(asked ? { survey } : {}) });
          if (asked) answered.add(`${session} ${survey}`);
          answers.push({ kind, score, stage, session, channel, at: t });
        } else if (roll === 3) {
          ev({ type: 'survey_shown', stage, path, kind: 'nps', survey: 's-nps' });
          ev({ type: 'survey_dismissed', stage, path, kind: 'nps', survey: 's-nps' });
          shown.add(`${session} s-nps`);
        }
      }
      batches.push(batch);
    }
  }
  return batches;
}

/** The scores of some answers, computed plainly from their definitions. */
function reference(list: Answer[]) {
  const of = (kind: FeedbackKind) => list.filter((a) => a.kind === kind).map((a) => a.score);
  const [nps, csat, ces] = [of('nps'), of('csat'), of('ces')];
  const share = (xs: number[], keep: (x: number) => boolean) => (xs.filter(keep).length / xs.length) * 100;
  return {
    nps: nps.length ? Math.round((share(nps, (x) => x >= 9) - share(nps, (x) => x <= 6)) * 10) / 10 : null,
    csat: csat.length ? Math.round(share(csat, (x) => x >= 4) * 10) / 10 : null,
    ces: ces.length ? Math.round((ces.reduce((a, b) => a + b, 0) / ces.length) * 100) / 100 : null,
    responses: list.length,
  };
}

/** Each answer on 0..1 of its scale, averaged. */
function satisfactionOf(list: Answer[]): number {
  const unit = (a: Answer) =>
    (a.score - FEEDBACK_SCALES[a.kind][0]) / (FEEDBACK_SCALES[a.kind][1] - FEEDBACK_SCALES[a.kind][0]);
  return list.reduce((sum, a) => sum + unit(a), 0) / list.length;
}

describe('satisfaction', () => {
  let site: { id: string; token: string };
  beforeAll(async () => {
    site = await registerSite();
    for (const batch of history()) expect((await send(site.id, batch)).rejected).toEqual([]);
  });

  it('gives the overall scores, each stage, friction and the response rate as a plain computation does', async () => {
    // Every score of every scale is in the history, so that each threshold is tested.
    for (const kind of KINDS)
      expect(new Set(answers.filter((a) => a.kind === kind).map((a) => a.score)).size).toBe(
        FEEDBACK_SCALES[kind][1] - FEEDBACK_SCALES[kind][0] + 1,
      );
    const r = await report<SatisfactionReport>(site, 'satisfaction', period);
    expect(r.overall).toEqual({
      ...reference(answers),
      response_rate: Math.round((answered.size / shown.size) * 1e4) / 1e4,
    });
    expect(r.stages).toEqual(
      STAGES.map((stage) => ({ stage, ...reference(answers.filter((a) => a.stage === stage)) })),
    );
    expect(r.friction).toEqual({
      with: reference(answers.filter((a) => frictionSessions.has(a.session))),
      without: reference(answers.filter((a) => !frictionSessions.has(a.session))),
    });
  });

  it('lists each page seen by the sessions that answered, with their answers, worst first', async () => {
    const r = await report<SatisfactionReport>(site, 'satisfaction', period);
    const expected = PATHS.map((path) => {
      const list = answers.filter((a) => sessionPaths.get(a.session)!.has(path));
      return { path, ...reference(list), satisfaction: Math.round(satisfactionOf(list) * 1e4) / 1e4 };
    }).filter((p) => p.responses > 0);
    expect([...r.pages].sort((a, b) => a.path.localeCompare(b.path))).toEqual(
      expected.sort((a, b) => a.path.localeCompare(b.path)),
    );
    const order = r.pages.map((p) => p.satisfaction);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const two = await report<SatisfactionReport>(site, 'satisfaction', { ...period, limit: 2 });
    expect(two.pages).toEqual(r.pages.slice(0, 2));
  });

  it('breaks the answers down by channel, and a filter keeps the answers of matching sessions only', async () => {
    const r = await report<SatisfactionReport>(site, 'satisfaction', { ...period, by: 'channel' });
    const channels = [...new Set(answers.map((a) => a.channel))];
    expect(r.by).toBe('channel');
    expect([...r.rows!].sort((a, b) => a.value.localeCompare(b.value))).toEqual(
      channels.sort().map((value) => ({ value, ...reference(answers.filter((a) => a.channel === value)) })),
    );
    const search = await report<SatisfactionReport>(site, 'satisfaction', { ...period, channel: 'organic_search' });
    const kept = answers.filter((a) => a.channel === 'organic_search');
    expect(search.overall).toMatchObject(reference(kept));
    expect(search.stages.map((s) => s.responses)).toEqual(
      STAGES.map((st) => kept.filter((a) => a.stage === st).length),
    );
    expect(search).not.toHaveProperty('rows');
  });

  it('gives the trend: the scores of each day or week of the period as a plain computation does', async () => {
    const DAY = 24 * HOUR;
    // UTC midnight of the day, and of the Monday starting the ISO week, from calendar fields.
    const dayStart = (ms: number) => {
      const d = new Date(ms);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    };
    const weekStart = (ms: number) => dayStart(ms) - ((new Date(ms).getUTCDay() + 6) % 7) * DAY;
    for (const [interval, startOf, step] of [
      ['day', dayStart, DAY],
      ['week', weekStart, 7 * DAY],
    ] as const) {
      const r = await report<SatisfactionReport>(site, 'satisfaction', { ...period, interval });
      const from = Date.parse(period.from);
      const to = Date.parse(period.to);
      const expected = [];
      for (let t = startOf(from); t < to; t += step)
        expected.push({ t: new Date(t).toISOString(), ...reference(answers.filter((a) => startOf(a.at) === t)) });
      expect(r.interval).toBe(interval);
      expect(r.trend).toEqual(expected);
      expect(r.trend!.reduce((n, p) => n + p.responses, 0)).toBe(answers.length);
    }
    // Without `interval`, no trend.
    expect(await report<SatisfactionReport>(site, 'satisfaction', period)).not.toHaveProperty('trend');
  });

  it('refuses an unknown by, interval or parameter, and a trend of too many points, with 400 invalid-query', async () => {
    for (const query of <Array<Record<string, string>>>[
      { by: 'colour' },
      { interval: 'month' },
      { interval: 'hour', from: '2000-01-01' },
      { by: 'channel,device' },
      { cursor: 'x' },
    ]) {
      const res = await get(site, 'satisfaction', query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid-query', message: expect.any(String) });
    }
  });

  it('counts 10 promoters, 5 passives and 5 detractors as an NPS of 25, and answers nulls with no answer', async () => {
    const own = await registerSite();
    const empty = await report<SatisfactionReport>(own, 'satisfaction');
    expect(empty.overall).toEqual({ nps: null, csat: null, ces: null, responses: 0, response_rate: null });
    expect(empty.pages).toEqual([]);
    const scores = [...Array(10).fill(9), ...Array(5).fill(7), ...Array(5).fill(6)];
    const t = Date.now() - 60_000;
    await send(
      own.id,
      scores.map((score, i) =>
        wire({
          type: 'feedback',
          kind: 'nps',
          score,
          stage: 'retention',
          visitor: `p${i}`,
          session: `p${i}`,
          ts: t + i,
          path: '/account',
        }),
      ),
    );
    const r = await report<SatisfactionReport>(own, 'satisfaction');
    expect(r.overall).toEqual({ nps: 25, csat: null, ces: null, responses: 20, response_rate: null });
    expect(r.stages.find((s) => s.stage === 'retention')).toEqual({
      stage: 'retention',
      nps: 25,
      csat: null,
      ces: null,
      responses: 20,
    });
  });
});
