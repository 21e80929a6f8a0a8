// The dashboard's "How it felt" panel in real Chromium against the real collector: the emotion curve, the scores over
// the period, the worst pages and the friction comparison show the satisfaction report's numbers.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { SatisfactionReport } from '../../packages/protocol/src/index.ts';
import { registerSite, sharedCollector, uniqueSiteId } from '../harness/collector.ts';
import { num, openBrowser, readTable, signIn } from './browser.ts';

const { url, adminToken } = sharedCollector();
const ORIGIN = 'https://shop.example';
const STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];
let site = '';
let token = '';
let browser: Awaited<ReturnType<typeof openBrowser>>;
let page: Page;
let lastQuery = '';

const DAY = 86_400_000;

/**
 * Answers spread over the stages (none on advocacy: a gap in the curve) and over six days (the trend), with friction in
 * some sessions.
 */
// Noon (UTC) yesterday: the answers of one day never cross midnight.
const start = Math.floor(Date.now() / DAY) * DAY - DAY / 2;
function history() {
  const events: Array<Record<string, unknown>> = [];
  let n = 0;
  const ev = (visitor: number, e: Record<string, unknown>) =>
    events.push({
      id: `sat-${n}`,
      ts: start - (visitor % 6) * DAY + n++ * 1000,
      visitor: `v${visitor}`,
      session: `s${visitor}`,
      ...e,
    });
  for (let v = 0; v < 24; v++) {
    const stage = STAGES[v % 4]!;
    const path = ['/blog/guide', '/products/mug', '/checkout', '/account'][v % 4]!;
    ev(v, { type: 'page_view', stage, url: `${ORIGIN}${path}` });
    if (v % 3 === 0) ev(v, { type: 'rage_click', stage, url: `${ORIGIN}${path}`, target: 'buy', clicks: 3 });
    ev(v, { type: 'survey_shown', stage, url: `${ORIGIN}${path}`, kind: 'nps', survey: 'nps-1' });
    if (v % 5 !== 4)
      ev(v, { type: 'feedback', stage, url: `${ORIGIN}${path}`, kind: 'nps', score: (v * 7) % 11, survey: 'nps-1' });
    ev(v, { type: 'feedback', stage, url: `${ORIGIN}${path}`, kind: 'csat', score: 1 + (v % 5) });
    if (v % 2) ev(v, { type: 'feedback', stage, url: `${ORIGIN}${path}`, kind: 'ces', score: 1 + (v % 7) });
  }
  return events;
}

async function api(): Promise<SatisfactionReport> {
  const res = await fetch(`${url}/v1/sites/${site}/satisfaction?${lastQuery}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as SatisfactionReport;
}

/** A score as the panel prints it: `+25`, `-10`, `62.5%`, `4.5`, `–`. */
const score = (text: string): number | null => (text === '–' ? null : Number(text.replace(/[+%]/g, '')));

beforeAll(async () => {
  site = uniqueSiteId('dashsat');
  token = await registerSite(url, adminToken, { id: site, origins: [ORIGIN] });
  const res = await fetch(`${url}/v1/events`, {
    method: 'POST',
    // A browser's User-Agent: the collector counts, and does not store, what bots send.
    headers: {
      'content-type': 'application/json',
      origin: ORIGIN,
      'user-agent':
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    },
    body: JSON.stringify({ v: 1, site, sent_at: Date.now(), events: history() }),
  });
  expect(await res.json()).toMatchObject({ accepted: history().length, rejected: [] });
  browser = await openBrowser();
  page = browser.page;
  page.on('request', (r) => {
    const m = new RegExp(`/v1/sites/${site}/satisfaction\\?(.*)$`).exec(r.url());
    if (m?.[1]) lastQuery = m[1];
  });
  await page.goto(`${url}/`);
  expect(await signIn(page, site, token)).toBe('ready');
  await page.waitForSelector('#satisfaction [data-stat="responses"]');
});

afterAll(async () => {
  await browser?.close();
});

describe('how it felt', () => {
  test('the overall figures, and the emotion curve per stage, are the report’s', async () => {
    const r = await api();
    const stat = async (k: string) => ((await page.textContent(`#satisfaction [data-stat="${k}"] dd`)) ?? '').trim();
    expect(score(await stat('nps'))).toBe(r.overall.nps);
    expect(score(await stat('csat'))).toBe(r.overall.csat);
    expect(score(await stat('ces'))).toBe(r.overall.ces);
    expect(num(await stat('responses'))).toBe(r.overall.responses);
    expect(Math.abs(score(await stat('response_rate'))! - r.overall.response_rate! * 100)).toBeLessThanOrEqual(
      0.05 + 1e-9,
    );

    const rows = await readTable(page, 'satisfaction-stages');
    const answered = r.stages.filter((s) => s.responses > 0);
    expect(rows.map((x) => x[0])).toEqual(answered.map((s) => s.stage));
    answered.forEach((s, i) => {
      expect(rows[i]!.slice(1, 4).map(score)).toEqual([s.nps, s.csat, s.ces]);
      expect(num(rows[i]![4]!)).toBe(s.responses);
    });
    // One point per stage with a score, per kind; advocacy has none: a gap in every curve.
    for (const kind of ['nps', 'csat', 'ces'] as const)
      expect(await page.locator(`#satisfaction svg.emotion.stages circle.${kind}`).count()).toBe(
        r.stages.filter((s) => s[kind] !== null).length,
      );
    expect(r.stages.find((s) => s.stage === 'advocacy')!.responses).toBe(0);
    // Every stage is named under the curve, each name whole inside the picture (the last one was cut in half).
    const labels = await page.$$eval('#satisfaction svg.emotion.stages text.stage', (texts) =>
      texts.map((t) => {
        const svg = t.closest('svg')!.getBoundingClientRect();
        const box = t.getBoundingClientRect();
        return { text: t.textContent, inside: box.left >= svg.left && box.right <= svg.right };
      }),
    );
    expect(labels).toEqual(r.stages.map((s) => ({ text: s.stage, inside: true })));
  });

  test('the scores over the period, per day, are the report’s trend', async () => {
    const r = await api();
    expect(lastQuery).toContain('interval=day');
    expect(r.interval).toBe('day');
    const answered = r.trend!.filter((p) => p.responses > 0);
    // The six days of answers, each its own point.
    expect(answered).toHaveLength(6);
    const rows = await readTable(page, 'satisfaction-trend');
    const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
    expect(rows.map((x) => x[0])).toEqual(answered.map((p) => day.format(new Date(p.t))));
    answered.forEach((p, i) => {
      expect(rows[i]!.slice(1, 4).map(score)).toEqual([p.nps, p.csat, p.ces]);
      expect(num(rows[i]![4]!)).toBe(p.responses);
    });
    expect(answered.reduce((n, p) => n + p.responses, 0)).toBe(r.overall.responses);
    // One point per interval with a score, per kind.
    for (const kind of ['nps', 'csat', 'ces'] as const)
      expect(await page.locator(`#satisfaction svg.emotion.over-time circle.${kind}`).count()).toBe(
        r.trend!.filter((p) => p[kind] !== null).length,
      );
  });

  test('the worst pages and the friction comparison are the report’s', async () => {
    const r = await api();
    const pages = await readTable(page, 'satisfaction-pages');
    expect(pages.map((x) => x[0])).toEqual(r.pages.slice(0, 5).map((p) => p.path));
    r.pages.slice(0, 5).forEach((p, i) => {
      // Printed to one decimal of a percent.
      expect(Math.abs(score(pages[i]![1]!)! - p.satisfaction * 100)).toBeLessThanOrEqual(0.05 + 1e-9);
      expect(pages[i]!.slice(2, 5).map(score)).toEqual([p.nps, p.csat, p.ces]);
      expect(num(pages[i]![5]!)).toBe(p.responses);
    });
    const friction = await readTable(page, 'satisfaction-friction');
    for (const [i, group] of [r.friction.with, r.friction.without].entries()) {
      expect(friction[i]!.slice(1, 4).map(score)).toEqual([group.nps, group.csat, group.ces]);
      expect(num(friction[i]![4]!)).toBe(group.responses);
    }
    expect(r.friction.with.responses).toBeGreaterThan(0);
    expect(r.friction.without.responses).toBeGreaterThan(0);
  });
});
