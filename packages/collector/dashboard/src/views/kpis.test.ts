// KPI cards: which figures each stage shows and how they compare with the previous period.
import { describe, expect, test } from 'vitest';
import type { KpisReport } from '../types.ts';
import { kpiCards } from './kpis.ts';

const stage = (name: string, visitors: number, bounce = 0.5): KpisReport['stages'][number] => ({
  stage: name,
  views: visitors * 2,
  visitors,
  bounce_rate: bounce,
  median_visible_ms: 60_000,
  to_next_stage: 0.4,
});
const report = (stages: KpisReport['stages'], conversion = 0.1): KpisReport => ({
  stages,
  decision: {
    conversion_rate: conversion,
    average_basket: [{ currency: 'EUR', value: 40 }],
    median_decision_ms: 300_000,
  },
  retention: { repurchase_rate: 0.2 },
});
const find = (cards: ReturnType<typeof kpiCards>, st: string, name: string) =>
  cards.find((c) => c.stage === st)?.kpis.find((k) => k.name === name);

describe('kpiCards', () => {
  test('shows no bounce rate for a first stage whose pages nobody viewed', () => {
    const cards = kpiCards(report([stage('discovery', 0, 0), stage('decision', 3)]), null);
    expect(find(cards, 'discovery', 'Bounce rate')?.now).toBe('–');
  });

  test('puts the bounce rate on the first stage and the decision and retention figures on their stages', () => {
    const cards = kpiCards(
      report([stage('awareness', 100), stage('consideration', 50), stage('decision', 20), stage('retention', 5)]),
      null,
    );
    expect(cards.map((c) => c.stage)).toEqual(['awareness', 'consideration', 'decision', 'retention']);
    expect(find(cards, 'awareness', 'Bounce rate')?.now).toBe('50%');
    expect(find(cards, 'consideration', 'Bounce rate')).toBeUndefined();
    expect(find(cards, 'decision', 'Conversion rate')?.now).toBe('10%');
    expect(find(cards, 'decision', 'Average basket')?.now).toBe('€40.00');
    expect(find(cards, 'decision', 'Decision delay (median)')?.now).toBe('5 min 0 s');
    expect(find(cards, 'retention', 'Repurchase rate')?.now).toBe('20%');
    // Without the previous period there is nothing to compare with.
    expect(find(cards, 'awareness', 'Visitors on its pages')?.delta).toBeNull();
  });

  test('compares with the previous period: rates in points, counts in percent', () => {
    const now = report([stage('awareness', 120, 0.55), stage('decision', 20)], 0.12);
    const before = report([stage('awareness', 100, 0.5), stage('decision', 20)], 0.1);
    const cards = kpiCards(now, before);
    expect(find(cards, 'awareness', 'Visitors on its pages')).toMatchObject({
      now: '120',
      before: '100',
      delta: { text: '▲ 20%', tone: 'good' },
    });
    expect(find(cards, 'awareness', 'Bounce rate')?.delta).toMatchObject({ text: '▲ 5 pts', tone: 'bad' });
    expect(find(cards, 'decision', 'Conversion rate')?.delta).toMatchObject({ text: '▲ 2 pts', tone: 'good' });
  });

  test('a stage nobody reached before shows its figures as new, not as a rise from zero', () => {
    const cards = kpiCards(
      report([stage('awareness', 100), stage('advocacy', 4)]),
      report([stage('awareness', 90), stage('advocacy', 0, 0)]),
    );
    expect(find(cards, 'advocacy', 'Median visible time')?.delta?.text).toBe('new');
    expect(find(cards, 'advocacy', 'Visitors on its pages')?.delta?.text).toBe('new');
  });

  test('a figure missing now shows no comparison, even when the previous period had no data either', () => {
    const now = report([stage('awareness', 10), stage('decision', 0, 0)]);
    now.decision.median_decision_ms = null;
    const cards = kpiCards(now, report([stage('awareness', 0, 0), stage('decision', 0, 0)]));
    // Nothing to show now: "–" alone, not "new · no data in the previous period".
    expect(find(cards, 'decision', 'Decision delay (median)')).toMatchObject({ now: '–', delta: null });
    // A figure there is now is still new.
    expect(find(cards, 'decision', 'Conversion rate')?.delta?.text).toBe('new');
  });

  test('a site whose stages have other names gets one purchases card, never a card for a stage it lacks', () => {
    const cards = kpiCards(report([stage('discovery', 10), stage('reflection', 5), stage('purchase', 2)]), null);
    expect(cards.map((c) => c.stage)).toEqual(['discovery', 'reflection', 'purchase', 'purchases']);
    expect(cards.at(-1)!.kpis.map((k) => k.name)).toEqual([
      'Conversion rate',
      'Average basket',
      'Decision delay (median)',
      'Repurchase rate',
    ]);
  });

  test('a list with decision but no retention puts the repurchase rate on the decision card', () => {
    const cards = kpiCards(report([stage('look', 10), stage('decision', 2)]), null);
    expect(cards.map((c) => c.stage)).toEqual(['look', 'decision']);
    expect(find(cards, 'decision', 'Repurchase rate')?.now).toBeDefined();
  });
});
