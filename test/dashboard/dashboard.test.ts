// The journey-map dashboard in real Chromium against the real collector: what it shows equals what the reports API answers.
import { generateJourneys, type Journey, postJourneys } from '@parcours/traffic';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { registerSite, sharedCollector, uniqueSiteId } from '../harness/collector.ts';
import { num, openBrowser, rate, readTable, settled, signIn } from './browser.ts';

type Json = Record<string, any>;

const { url } = sharedCollector();
const { adminToken } = sharedCollector();
const ORIGIN = 'https://shop.example';
let site = '';
let token = '';
let browser: Awaited<ReturnType<typeof openBrowser>>;
let page: Page;
/** The query (`from=…&to=…`) of the page's latest funnel request: the test asks the API the very same question. */
let lastQuery = '';
/** Script errors and CSP refusals the page logged: there must be none. */
const problems: string[] = [];

/**
 * Readers so far: each API call of the test, and each test of the filters with its page, counts as a client of its own
 * address (`CF-Connecting-IP`, which the local runtime keeps), so that the reports rate limit (240 a minute per site and
 * client; a view reads 11) does not slow tests that change the view a dozen times a minute. src/rate-limit.test.ts in
 * the collector tests the limit itself.
 */
let readers = 0;
const nextAddress = () => `198.51.100.${++readers % 250}`;

/** One report straight from the API, for the range the page last asked for. */
async function api(report: string, query = lastQuery): Promise<Json> {
  const res = await fetch(`${url}/v1/sites/${site}/${report}?${query}`, {
    headers: { authorization: `Bearer ${token}`, 'cf-connecting-ip': nextAddress() },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

/** Posts seeded shop journeys as browsers would: every event must be stored. */
async function store(id: string, journeys: Journey[]): Promise<void> {
  const totals = await postJourneys({ url, site: id, origin: ORIGIN, journeys });
  expect(totals.accepted + totals.duplicates).toBe(totals.events);
}

/** Close to the API's rate at the page's precision (one decimal of a percent). */
function expectRate(shown: string, value: number | null): void {
  if (value === null) return void expect(shown).toBe('–');
  expect(Math.abs((rate(shown) ?? NaN) - value)).toBeLessThanOrEqual(0.0005 + 1e-9);
}

beforeAll(async () => {
  site = uniqueSiteId('dash');
  token = await registerSite(url, adminToken, { id: site, origins: [ORIGIN] });
  const now = Date.now();
  // First visits this week, the week before (what the 7-day cards compare with), and two to four weeks ago; returns
  // come hours to days later. Nothing older: the collector clamps event times to its 30-day delivery horizon.
  await store(site, [
    ...generateJourneys({ seed: 11, visitors: 30, fromDaysAgo: 6.5, toDaysAgo: 0.3, now }),
    ...generateJourneys({ seed: 12, visitors: 40, fromDaysAgo: 13, toDaysAgo: 8, now }),
    ...generateJourneys({ seed: 13, visitors: 30, fromDaysAgo: 27, toDaysAgo: 17, now }),
  ]);
  browser = await openBrowser();
  page = browser.page;
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => {
    const m = new RegExp(`/v1/sites/${site}/funnel\\?(.*)$`).exec(r.url());
    if (m?.[1]) lastQuery = m[1];
  });
});

afterAll(async () => {
  await browser?.close();
});

describe('the journey map', () => {
  test('signing in with the read token shows the report, with the token kept out of URLs and localStorage', async () => {
    const res = await page.goto(`${url}/`);
    // A strict CSP guards the token: only this origin's script runs and only this origin is contacted.
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(res?.headers()['content-security-policy']).toContain("connect-src 'self'");
    expect(await page.isVisible('#signin-form')).toBe(true);
    expect(await signIn(page, site, token)).toBe('ready');
    expect(problems).toEqual([]);
    expect(page.url()).not.toContain(token);
    expect(lastQuery).not.toContain(token);
    const stored = await page.evaluate(() => ({
      local: JSON.stringify(localStorage),
      session: JSON.stringify(sessionStorage),
    }));
    expect(stored.local).not.toContain(token);
    expect(stored.session).toContain(token);
    // Kept for the browser session: a reload goes straight to the report.
    await page.reload();
    expect(await settled(page)).toBe('ready');
    expect(await page.isVisible('#signin-form')).toBe(false);
  });

  test('the funnel and the flow show the numbers of the funnel and transitions reports', async () => {
    const funnel = await api('funnel');
    const rows = await readTable(page, 'funnel');
    expect(rows.map((r) => r[0])).toEqual(funnel.stages.map((s: Json) => s.stage));
    funnel.stages.forEach((s: Json, i: number) => {
      expect(num(rows[i]![1]!)).toBe(s.visitors);
      expectRate(rows[i]![2]!, s.rate_from_previous);
    });
    expect(funnel.stages[0].visitors).toBeGreaterThan(0);

    const { transitions } = await api('transitions');
    const moves = await readTable(page, 'transitions');
    const shown = moves.map((r) => `${r[0]}>${r[1]}:${r[2]}:${num(r[3]!)}:${num(r[4]!)}`).sort();
    const stages = funnel.stages.map((s: Json) => s.stage);
    const expected = transitions
      .filter((t: Json) => t.count > 0)
      .map((t: Json) => {
        const dir = t.from === null ? 'entry' : stages.indexOf(t.to) > stages.indexOf(t.from) ? 'forward' : 'backward';
        return `${t.from ?? '(entry)'}>${t.to}:${dir}:${t.count}:${t.visitors}`;
      })
      .sort();
    expect(shown).toEqual(expected);
    // Forward and backward moves are both drawn, told apart by class (colour and dash pattern).
    expect(await page.locator('#flow path.link.forward').count()).toBeGreaterThan(0);
    expect(await page.locator('#flow path.link.backward').count()).toBe(
      expected.filter((e: string) => e.includes(':backward:')).length,
    );
  });

  test('hovering a forward flow shows its count in a tooltip', async () => {
    const { transitions } = await api('transitions');
    await page.locator('#flow').scrollIntoViewIfNeeded();
    // A band's own middle, the point half-way along its path, where no other mark sits on top: bands cross, so the
    // first forward band that is the topmost mark at its middle.
    const box = await page.$$eval('#flow path.link.forward', (els) => {
      for (const el of els) {
        const p = el as SVGPathElement;
        const pt = p.getPointAtLength(p.getTotalLength() / 2).matrixTransform(p.getScreenCTM()!);
        if (document.elementFromPoint(pt.x, pt.y) === el)
          return { x: pt.x, y: pt.y, label: el.getAttribute('aria-label') ?? '' };
      }
      return null;
    });
    expect(box).not.toBeNull();
    const m = /^(\S+) → (\S+) \(forward\): (\d+) moves/.exec(box!.label);
    expect(m).not.toBeNull();
    const t = transitions.find((x: Json) => x.from === m![1] && x.to === m![2]);
    await page.mouse.move(box!.x, box!.y);
    expect(await page.isVisible('#tooltip')).toBe(true);
    expect(await page.textContent('#tooltip')).toContain(`${m![1]} → ${m![2]} (forward): ${t.count} moves`);
    await page.mouse.move(0, 0);
  });

  test('focusing a backward flow shows its count in a tooltip', async () => {
    const { transitions } = await api('transitions');
    const link = page.locator('#flow path.link.backward').first();
    const label = (await link.getAttribute('aria-label')) ?? '';
    const m = /^(\S+) → (\S+) \(backward\): (\d+) moves/.exec(label);
    expect(m).not.toBeNull();
    const t = transitions.find((x: Json) => x.from === m![1] && x.to === m![2]);
    expect(Number(m![3])).toBe(t.count);
    await link.focus();
    expect(await page.isVisible('#tooltip')).toBe(true);
    expect(await page.textContent('#tooltip')).toContain(`${t.count} moves`);
  });

  test('friction pages are listed in the API order with their numbers and a reason for each', async () => {
    const { pages } = await api('friction');
    const rows = await readTable(page, 'friction');
    expect(rows.length).toBe(pages.length);
    pages.forEach((p: Json, i: number) => {
      const r = rows[i]!;
      expect(r[1]).toBe(p.path);
      expect(r[2]).toBe(p.stage);
      expect([num(r[3]!), num(r[4]!), num(r[5]!), num(r[7]!), num(r[8]!)]).toEqual([
        p.views,
        p.visitors,
        p.exits,
        p.form_abandons,
        p.cart_abandons,
      ]);
      expectRate(r[6]!, p.exit_rate);
      expect(r[10]!.length).toBeGreaterThan(5);
    });
    // The reason of the top page leads with its largest loss: its count, or, for exits at a high rate, that rate.
    const top = pages[0];
    const biggest = Math.max(top.cart_abandons, top.form_abandons, top.exits);
    const reason = rows[0]![10]!;
    const highExitRate = /^High exit rate ([\d.]+%)/.exec(reason);
    if (highExitRate && biggest === top.exits) expectRate(highExitRate[1]!, top.exit_rate);
    else expect(reason).toContain(String(biggest));
  });

  test('forms and carts show the numbers of the forms and carts reports', async () => {
    const { forms } = await api('forms');
    const rows = await readTable(page, 'forms');
    expect(rows.length).toBe(forms.length);
    for (const f of forms) {
      const r = rows.find((x) => x[0] === f.form && x[1] === f.path)!;
      expect([num(r[2]!), num(r[3]!), num(r[4]!)]).toEqual([f.starts, f.submits, f.abandons]);
      expectRate(r[5]!, f.abandon_rate);
      for (const lf of f.last_fields) expect(r[6]).toContain(`${lf.field} (${lf.abandons})`);
    }
    expect(forms.some((f: Json) => f.abandons > 0)).toBe(true);

    const { carts, pages } = await api('carts');
    const stat = (k: string) => page.textContent(`[data-stat="${k}"] dd`).then((t) => (t ?? '').trim());
    expect(num(await stat('started'))).toBe(carts.started);
    expect(num(await stat('checked_out'))).toBe(carts.checked_out);
    expect(num(await stat('purchased'))).toBe(carts.purchased);
    expect(num(await stat('open'))).toBe(carts.open);
    expect(num(await stat('abandoned'))).toBe(carts.abandoned);
    expectRate(await stat('abandonment_rate'), carts.abandonment_rate);
    expect(num(await stat('recovered'))).toBe(carts.recovered);
    expectRate(await stat('recovery_rate'), carts.recovery_rate);
    const value = (await page.textContent('[data-stat="abandoned_value"]')) ?? '';
    for (const m of carts.abandoned_value) expect(value.replace(/,/g, '')).toContain(m.value.toFixed(2));
    const cartPages = await readTable(page, 'cart-pages');
    expect(cartPages.map((r) => [r[0], num(r[1]!)]).sort()).toEqual(
      pages.map((p: Json) => [p.path, p.abandons]).sort(),
    );
    expect(carts.abandoned).toBeGreaterThan(0);
  });

  test('KPI cards show this period and the previous one of the same length, as the kpis report answers', async () => {
    await page.check('input[name=preset][value="7"]');
    expect(await settled(page)).toBe('ready');
    const now = await api('kpis');
    const q = new URLSearchParams(lastQuery);
    const from = Date.parse(q.get('from')!);
    const to = Date.parse(q.get('to')!);
    const prevQuery = `from=${new Date(from - (to - from)).toISOString()}&to=${new Date(from).toISOString()}`;
    const before = await api('kpis', prevQuery);
    expect(before.stages[0].visitors).toBeGreaterThan(0);
    const rows = await readTable(page, 'kpis');
    const cell = (stage: string, measure: string) => rows.find((r) => r[0] === stage && r[1] === measure);
    for (const s of now.stages) {
      const prev = before.stages.find((p: Json) => p.stage === s.stage);
      expect(num(cell(s.stage, 'Visitors on its pages')![2]!)).toBe(s.visitors);
      expect(num(cell(s.stage, 'Visitors on its pages')![3]!)).toBe(prev?.visitors ?? 0);
    }
    const awareness = now.stages[0];
    expectRate(cell(awareness.stage, 'Bounce rate')![2]!, awareness.bounce_rate);
    expectRate(cell(awareness.stage, 'Bounce rate')![3]!, before.stages[0].bounce_rate);
    expectRate(cell('decision', 'Conversion rate')![2]!, now.decision.conversion_rate);
    expectRate(cell('decision', 'Conversion rate')![3]!, before.decision.conversion_rate);
    expectRate(cell('retention', 'Repurchase rate')![2]!, now.retention.repurchase_rate);
    const basket = cell('decision', 'Average basket')![2]!;
    expect(basket.replace(/,/g, '')).toContain(now.decision.average_basket[0].value.toFixed(2));
    // The change column: the conversion rate moved by the difference, in percentage points.
    const pts = Math.round((now.decision.conversion_rate - before.decision.conversion_rate) * 1000) / 10;
    const change = cell('decision', 'Conversion rate')![4]!;
    if (pts === 0) expect(change).toBe('= same');
    else expect(change).toBe(`${pts > 0 ? '▲' : '▼'} ${Math.abs(pts)} pts`);
  });

  test('choosing 30 days, then a custom range, changes the numbers to those of that range', async () => {
    await page.check('input[name=preset][value="7"]');
    expect(await settled(page)).toBe('ready');
    const week = num((await readTable(page, 'funnel'))[0]![1]!);
    await page.check('input[name=preset][value="30"]');
    expect(await settled(page)).toBe('ready');
    const month = num((await readTable(page, 'funnel'))[0]![1]!);
    expect(month).toBeGreaterThan(week);
    expect(month).toBe((await api('funnel')).stages[0].visitors);
    expect((await api('carts')).carts.started).toBe(num((await page.textContent('[data-stat="started"] dd')) ?? ''));

    // Custom whole UTC days, 29 to 15 days ago: only the visitors who first came two to four weeks ago.
    const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
    await page.check('input[name=preset][value="custom"]');
    await page.fill('#range-from', day(29));
    await page.fill('#range-to', day(15));
    await page.click('#range button[type=submit]');
    expect(await settled(page)).toBe('ready');
    expect(lastQuery).toContain(`from=${day(29)}T00%3A00%3A00.000Z`);
    const custom = num((await readTable(page, 'funnel'))[0]![1]!);
    expect(custom).toBe((await api('funnel')).stages[0].visitors);
    expect(custom).toBeGreaterThan(0);
    expect(custom).toBeLessThan(month);
    expect(await page.textContent('#range-label')).toContain('15 days');
  });

  test('the first figures appear before the last section arrives, and the page says how long each took', async () => {
    await page.check('input[name=preset][value="30"]');
    expect(await settled(page)).toBe('ready');
    await page.reload();
    expect(await settled(page)).toBe('ready');
    const [first, all] = await page.evaluate(() => [
      Number(document.body.dataset.firstRenderMs),
      Number(document.body.dataset.renderMs),
    ]);
    // How fast is a benchmark's question, not a test's (a loaded machine is slower): here, the order and the words.
    expect(first).toBeGreaterThan(0);
    expect(all).toBeGreaterThanOrEqual(first!);
    expect(await page.textContent('body')).toContain(`first figures in ${first} ms, all in ${all} ms`);
  });
});

/** The values (not their labels) of a dimension table's rows, in order. */
function tableValues(page: Page, key: string): Promise<string[]> {
  return page.$$eval(`table[data-table="${key}"] tbody tr`, (rows) =>
    rows.map((r) => r.querySelector('[data-filter]')?.getAttribute('data-value') ?? ''),
  );
}

/** The page's numbers that filters change, each beside what the API answers for the page's latest question. */
async function expectPanelsEqualApi(): Promise<void> {
  const funnel = await api('funnel');
  expect((await readTable(page, 'funnel')).map((r) => num(r[1]!))).toEqual(funnel.stages.map((s: Json) => s.visitors));
  const { pages } = await api('friction');
  expect((await readTable(page, 'friction')).map((r) => [r[1], num(r[3]!), num(r[5]!)])).toEqual(
    pages.map((p: Json) => [p.path, p.views, p.exits]),
  );
  const { carts } = await api('carts');
  expect(num((await page.textContent('[data-stat="started"] dd')) ?? '')).toBe(carts.started);
  for (const by of ['channel', 'device', 'country']) {
    const { rows } = await api('breakdown', `${lastQuery}&by=${by}`);
    expect(await tableValues(page, `breakdown-${by}`)).toEqual(rows.map((r: Json) => r.value));
    const shown = await readTable(page, `breakdown-${by}`);
    rows.forEach((r: Json, i: number) => {
      expect([num(shown[i]![1]!), num(shown[i]![2]!), num(shown[i]![3]!), num(shown[i]![6]!)]).toEqual([
        r.visitors,
        r.sessions,
        r.purchases,
        r.first_touch_purchases,
      ]);
      expectRate(shown[i]![4]!, r.conversion_rate);
    });
  }
  const { points } = await api('timeseries', `${lastQuery}&interval=day`);
  const trend = await readTable(page, 'trend');
  expect(trend.length).toBe(points.length);
  points.forEach((p: Json, i: number) => {
    expect([num(trend[i]![1]!), num(trend[i]![2]!), num(trend[i]![3]!)]).toEqual([
      p.visitors,
      p.sessions,
      p.page_views,
    ]);
    expect(num(trend[i]!.at(-1)!)).toBe(p.purchases);
  });
}

describe('dimensions and filters', () => {
  beforeEach(async () => {
    await browser.context.setExtraHTTPHeaders({ 'cf-connecting-ip': `203.0.113.${++readers % 250}` });
  });

  test('the trend, sources, devices and countries show the numbers of the timeseries and breakdown reports', async () => {
    await page.check('input[name=preset][value="30"]');
    expect(await settled(page)).toBe('ready');
    await expectPanelsEqualApi();
    // The seeded traffic comes from several channels, devices and countries, and the trend has a point per day.
    expect((await tableValues(page, 'breakdown-channel')).length).toBeGreaterThanOrEqual(5);
    expect((await tableValues(page, 'breakdown-device')).length).toBeGreaterThanOrEqual(2);
    expect((await tableValues(page, 'breakdown-country')).length).toBeGreaterThanOrEqual(5);
    expect((await readTable(page, 'trend')).length).toBeGreaterThanOrEqual(30);
    // Other tabs of a panel ask for their own breakdown.
    await page.check('#sources-switch input[value="campaign"]');
    await page.waitForSelector('table[data-table="breakdown-campaign"]');
    const { rows } = await api('breakdown', `${lastQuery}&by=campaign`);
    expect(await tableValues(page, 'breakdown-campaign')).toEqual(rows.map((r: Json) => r.value));
    expect(rows.some((r: Json) => r.value !== '(none)')).toBe(true);
    await page.check('#sources-switch input[value="channel"]');
    await page.waitForSelector('table[data-table="breakdown-channel"]');

    // Hourly: only the trend is asked again, one point per hour of the period, in the URL too.
    const hours = await api('timeseries', `${lastQuery}&interval=hour`);
    await page.check('#trend-switch input[value="hour"]');
    await page.waitForFunction(
      (n) => document.querySelectorAll('table[data-table="trend"] tbody tr').length === n,
      hours.points.length,
    );
    expect(page.url()).toContain('interval=hour');
    const hourly = await readTable(page, 'trend');
    expect(hourly.map((r) => num(r[1]!))).toEqual(hours.points.map((p: Json) => p.visitors));
    await page.check('#trend-switch input[value="day"]');
    await page.waitForFunction(() => document.querySelectorAll('table[data-table="trend"] tbody tr').length < 40);
  });

  test('clicking a value filters every panel; the filter survives a reload; removing its chip restores', async () => {
    const before = num((await readTable(page, 'funnel'))[0]![1]!);
    const channel = (await tableValues(page, 'breakdown-channel'))[1]!;
    await page.click(`table[data-table="breakdown-channel"] [data-value="${channel}"]`);
    expect(await settled(page)).toBe('ready');
    expect(new URLSearchParams(lastQuery).get('channel')).toBe(channel);
    expect(await page.locator('.chip').count()).toBe(1);
    expect(await page.getAttribute('.chip', 'data-chip')).toBe(`channel=${channel}`);
    // Only that channel has visitors now; others may still be listed for the first visits of its buyers (first touch).
    const channels = await readTable(page, 'breakdown-channel');
    const values = await tableValues(page, 'breakdown-channel');
    expect(values.filter((_, i) => num(channels[i]![1]!) > 0)).toEqual([channel]);
    const filtered = num((await readTable(page, 'funnel'))[0]![1]!);
    expect(filtered).toBeLessThan(before);
    await expectPanelsEqualApi();

    // A second dimension narrows further: both filters hold at once.
    const device = (await tableValues(page, 'breakdown-device'))[0]!;
    await page.click(`table[data-table="breakdown-device"] [data-value="${device}"]`);
    expect(await settled(page)).toBe('ready');
    expect(new URLSearchParams(lastQuery).get('device')).toBe(device);
    expect(new URLSearchParams(lastQuery).get('channel')).toBe(channel);
    expect(await page.locator('.chip').count()).toBe(2);
    await expectPanelsEqualApi();
    const both = num((await readTable(page, 'funnel'))[0]![1]!);
    expect(both).toBeLessThanOrEqual(filtered);

    // The URL holds the view: a reload asks the same question and shows the same numbers.
    expect(page.url()).toContain(`channel=${channel}`);
    await page.reload();
    expect(await settled(page)).toBe('ready');
    expect(await page.locator('.chip').count()).toBe(2);
    expect(new URLSearchParams(lastQuery).get('device')).toBe(device);
    expect(num((await readTable(page, 'funnel'))[0]![1]!)).toBe(both);
    await expectPanelsEqualApi();

    // Removing the channel chip keeps the device filter; clearing restores the whole site's numbers.
    await page.click(`.chip[data-chip="channel=${channel}"] button`);
    expect(await settled(page)).toBe('ready');
    expect(new URLSearchParams(lastQuery).get('channel')).toBeNull();
    expect(new URLSearchParams(lastQuery).get('device')).toBe(device);
    await expectPanelsEqualApi();
    await page.click('#filters button:has-text("Clear filters")');
    expect(await settled(page)).toBe('ready');
    expect(await page.isVisible('#filters')).toBe(false);
    expect(num((await readTable(page, 'funnel'))[0]![1]!)).toBe(before);
    expect(page.url()).not.toContain('channel=');
  });

  test('the funnel and the carts switch to by channel and by device, as the breakdown report counts', async () => {
    await page.check('#funnel-switch input[value="channel"]');
    await page.waitForSelector('table[data-table="funnel-by-channel"]');
    const stages = (await api('funnel')).stages.map((s: Json) => s.stage);
    const byChannel = await api('breakdown', `${lastQuery}&by=channel`);
    const shown = await readTable(page, 'funnel-by-channel');
    expect(await tableValues(page, 'funnel-by-channel')).toEqual(byChannel.rows.map((r: Json) => r.value));
    byChannel.rows.forEach((r: Json, i: number) => {
      expect(stages.map((_: string, k: number) => num(shown[i]![k + 1]!))).toEqual(
        stages.map((s: string) => r.entered[s]),
      );
    });
    await page.check('#carts-switch input[value="device"]');
    await page.waitForSelector('table[data-table="carts-by-device"]');
    const byDevice = await api('breakdown', `${lastQuery}&by=device`);
    const carts = await readTable(page, 'carts-by-device');
    expect(carts.map((r) => [num(r[1]!), num(r[2]!)])).toEqual(
      byDevice.rows.map((r: Json) => [r.abandoned_carts, r.purchases]),
    );
    expect(byDevice.rows.some((r: Json) => r.abandoned_carts > 0)).toBe(true);
    // A value of a split filters like any other.
    const value = byDevice.rows[0].value;
    await page.click(`table[data-table="carts-by-device"] [data-value="${value}"]`);
    expect(await settled(page)).toBe('ready');
    expect(new URLSearchParams(lastQuery).get('device')).toBe(value);
    await page.click('#filters button:has-text("Clear filters")');
    expect(await settled(page)).toBe('ready');
    await page.check('#funnel-switch input[value="all"]');
    await page.check('#carts-switch input[value="all"]');
    await page.waitForSelector('table[data-table="funnel"]', { state: 'attached' });
  });

  test('friction shows rage, dead and error clicks, quick backs and field errors with their targets; forms per field', async () => {
    const { pages } = await api('friction');
    const noisy = pages.filter(
      (p: Json) => p.rage_clicks + p.dead_clicks + p.error_clicks + p.quick_backs + p.field_errors > 0,
    );
    expect(noisy.length).toBeGreaterThan(0);
    const rows = await readTable(page, 'friction-signals');
    // A path seen in two stages is two rows, told apart by their stage.
    expect(rows.map((r) => [r[0], r[1]])).toEqual(noisy.map((p: Json) => [p.path, p.stage]));
    noisy.forEach((p: Json, i: number) => {
      const r = rows[i]!;
      expect(r.slice(2, 7).map(num)).toEqual([
        p.rage_clicks,
        p.dead_clicks,
        p.error_clicks,
        p.quick_backs,
        p.field_errors,
      ]);
      for (const t of p.targets) expect(r[7]).toContain(`${t.target} (${t.count})`);
    });
    expect(noisy.some((p: Json) => p.targets.length > 0)).toBe(true);

    const { forms } = await api('forms');
    const fields = await readTable(page, 'form-fields');
    const expected = forms.flatMap((f: Json) =>
      f.fields.map((x: Json) => [f.form, x.field, x.refocuses, x.errors, x.abandons]),
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(fields.map((r) => [r[0], r[1], num(r[3]!), num(r[4]!), num(r[5]!)]).sort()).toEqual(expected.sort());
    // The field people hesitate on longest in checkout is named so.
    const checkout = forms.find((f: Json) => f.form === 'checkout');
    const slowest = [...checkout.fields].sort((a: Json, b: Json) => (b.hesitation_ms ?? 0) - (a.hesitation_ms ?? 0))[0];
    const row = fields.find((r) => r[0] === 'checkout' && r[1] === slowest.field)!;
    expect(row[6]).toContain('longest hesitation');
  });

  test('clicking a day of the trend makes it the period', async () => {
    const { points } = await api('timeseries', `${lastQuery}&interval=day`);
    // The busiest whole day (the first and last of a rolling period are cut).
    let busiest = 1;
    for (let i = 2; i < points.length - 1; i++) if (points[i].visitors > points[busiest].visitors) busiest = i;
    await page.locator('#trend rect.hit.pickable').nth(busiest).click();
    expect(await settled(page)).toBe('ready');
    const day = points[busiest].t.slice(0, 10);
    expect(new URLSearchParams(lastQuery).get('from')).toBe(`${day}T00:00:00.000Z`);
    expect(await page.textContent('#range-label')).toContain('(1 day, UTC)');
    expect(page.url()).toContain(`from=${day}`);
    // The trend now has that one day, with the visitors the 30 days' trend counted in it.
    const trend = await readTable(page, 'trend');
    expect(trend.map((r) => num(r[1]!))).toEqual([points[busiest].visitors]);
    await expectPanelsEqualApi();
    await page.check('input[name=preset][value="30"]');
    expect(await settled(page)).toBe('ready');
  });

  test('Back undoes a filter, Forward brings it back', async () => {
    const before = num((await readTable(page, 'funnel'))[0]![1]!);
    const country = (await tableValues(page, 'breakdown-country'))[0]!;
    await page.click(`table[data-table="breakdown-country"] [data-value="${country}"]`);
    expect(await settled(page)).toBe('ready');
    const filtered = num((await readTable(page, 'funnel'))[0]![1]!);
    expect(filtered).toBeLessThan(before);
    await page.goBack();
    expect(await settled(page)).toBe('ready');
    expect(await page.locator('.chip').count()).toBe(0);
    expect(num((await readTable(page, 'funnel'))[0]![1]!)).toBe(before);
    await page.goForward();
    expect(await settled(page)).toBe('ready');
    expect(await page.getAttribute('.chip', 'data-chip')).toBe(`country=${country}`);
    expect(num((await readTable(page, 'funnel'))[0]![1]!)).toBe(filtered);
    await expectPanelsEqualApi();
    await page.click('#filters button:has-text("Clear filters")');
    expect(await settled(page)).toBe('ready');
  });

  test('a link with a filter the collector refuses says so, and removing its chip recovers', async () => {
    await page.goto(`${url}/#period=30&country=fr`);
    expect(await settled(page)).toBe('error');
    expect(await page.textContent('#problem')).toContain('This period or filter was refused');
    await page.click('.chip[data-chip="country=fr"] button');
    expect(await settled(page)).toBe('ready');
    expect(new URLSearchParams(lastQuery).get('country')).toBeNull();
    await expectPanelsEqualApi();
  });

  test('a shared link opens on its period and filters once signed in', async () => {
    const b = await openBrowser();
    let query = '';
    b.page.on('request', (r) => {
      const m = new RegExp(`/v1/sites/${site}/funnel\\?(.*)$`).exec(r.url());
      if (m?.[1]) query = m[1];
    });
    try {
      await b.page.goto(`${url}/#period=7&device=mobile&country=FR`);
      expect(await signIn(b.page, site, token)).toBe('ready');
      expect(await b.page.isChecked('input[name=preset][value="7"]')).toBe(true);
      const q = new URLSearchParams(query);
      expect([q.get('device'), q.get('country')]).toEqual(['mobile', 'FR']);
      expect(await b.page.locator('.chip').count()).toBe(2);
      const res = await fetch(`${url}/v1/sites/${site}/funnel?${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const funnel = (await res.json()) as Json;
      expect(num((await readTable(b.page, 'funnel'))[0]![1]!)).toBe(funnel.stages[0].visitors);
    } finally {
      await b.close();
    }
  });
});

describe('a site with its own stages', () => {
  test('is drawn in its own stage order, with the decision figures on its decision card', async () => {
    const own = uniqueSiteId('dash-stages');
    const stages = ['discovery', 'reflection', 'decision'];
    const ownToken = await registerSite(url, adminToken, { id: own, origins: [ORIGIN], stages });
    const rename: Record<string, string> = {
      awareness: 'discovery',
      consideration: 'reflection',
      decision: 'decision',
    };
    const journeys = generateJourneys({ seed: 21, visitors: 25, fromDaysAgo: 5, toDaysAgo: 0.5 }).map((j) => ({
      ...j,
      events: j.events.filter((e) => rename[e.stage]).map((e) => ({ ...e, stage: rename[e.stage]! })),
    }));
    await store(own, journeys);
    const b = await openBrowser();
    let query = '';
    b.page.on('request', (r) => {
      const m = new RegExp(`/v1/sites/${own}/funnel\\?(.*)$`).exec(r.url());
      if (m?.[1]) query = m[1];
    });
    try {
      await b.page.goto(`${url}/`);
      expect(await signIn(b.page, own, ownToken)).toBe('ready');
      const funnel = await readTable(b.page, 'funnel');
      expect(funnel.map((r) => r[0])).toEqual(stages);
      const cards = await b.page.$$eval('.kpi-stage h3', (hs) => hs.map((h) => h.textContent));
      expect(cards.slice(0, 3)).toEqual(stages);
      const kpis = await readTable(b.page, 'kpis');
      expect(kpis.some((r) => r[0] === 'decision' && r[1] === 'Conversion rate')).toBe(true);
      // Backward moves exist in these journeys (from the cart back to comparing) and each is drawn as such.
      const res = await fetch(`${url}/v1/sites/${own}/transitions?${query}`, {
        headers: { authorization: `Bearer ${ownToken}` },
      });
      const { transitions } = (await res.json()) as Json;
      const backward = transitions.filter(
        (t: Json) => t.from !== null && t.count > 0 && stages.indexOf(t.to) < stages.indexOf(t.from),
      );
      expect(backward.length).toBeGreaterThan(0);
      expect(await b.page.locator('#flow path.link.backward').count()).toBe(backward.length);
    } finally {
      await b.close();
    }
  });
});

describe('from the keyboard alone', () => {
  test('signing in, changing the period and reaching a flow of the chart work without a mouse', async () => {
    const b = await openBrowser();
    try {
      await b.page.goto(`${url}/`);
      // The site field has focus on arrival; Tab moves to the token, Enter submits.
      await b.page.keyboard.type(site);
      await b.page.keyboard.press('Tab');
      await b.page.keyboard.type(token);
      await b.page.keyboard.press('Enter');
      expect(await settled(b.page)).toBe('ready');
      const month = num((await readTable(b.page, 'funnel'))[0]![1]!);
      // Arrow keys move within the period presets, as in any radio group: 30 days → 7 days.
      await b.page.focus('input[name=preset][value="30"]');
      await b.page.keyboard.press('ArrowLeft');
      expect(await settled(b.page)).toBe('ready');
      expect(await b.page.isChecked('input[name=preset][value="7"]')).toBe(true);
      expect(num((await readTable(b.page, 'funnel'))[0]![1]!)).toBeLessThan(month);
      // Tabbing onward reaches the flow chart's marks, and the focused one says its count.
      let label = '';
      for (let i = 0; i < 60 && !label.includes('moves by'); i++) {
        await b.page.keyboard.press('Tab');
        label = await b.page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
      }
      expect(label).toMatch(/\d+ moves by \d+ visitors/);
      expect(await b.page.isVisible('#tooltip')).toBe(true);
    } finally {
      await b.close();
    }
  });
});

describe('what a person sees when something is wrong', () => {
  test('a bad token is refused with a message, and is not kept', async () => {
    const b = await openBrowser();
    try {
      await b.page.goto(`${url}/`);
      expect(await signIn(b.page, site, 'not-the-token')).toBe('signin');
      expect(await b.page.textContent('#signin-error')).toContain('read token was not accepted');
      expect(await b.page.evaluate(() => JSON.stringify(sessionStorage))).not.toContain('not-the-token');
    } finally {
      await b.close();
    }
  });

  test('an unknown site is named as such', async () => {
    const b = await openBrowser();
    try {
      await b.page.goto(`${url}/`);
      expect(await signIn(b.page, 'no-such-site-here', token)).toBe('signin');
      expect(await b.page.textContent('#signin-error')).toContain('No site “no-such-site-here”');
    } finally {
      await b.close();
    }
  });

  test('a site without data yet says so instead of showing empty charts', async () => {
    const empty = uniqueSiteId('dash-empty');
    const emptyToken = await registerSite(url, adminToken, { id: empty, origins: ['https://shop.example'] });
    const b = await openBrowser();
    try {
      await b.page.goto(`${url}/`);
      expect(await signIn(b.page, empty, emptyToken)).toBe('empty');
      expect(await b.page.textContent('#problem')).toContain('No data yet for this range');
      expect(await b.page.isVisible('#content')).toBe(false);
    } finally {
      await b.close();
    }
  });

  test('an unreachable collector is explained, and Retry recovers once it answers again', async () => {
    const b = await openBrowser();
    try {
      await b.page.goto(`${url}/`);
      await b.page.route('**/v1/sites/**', (route) => route.abort('connectionrefused'));
      expect(await signIn(b.page, site, token)).toBe('error');
      expect(await b.page.textContent('#problem')).toContain('The collector cannot be reached');
      await b.page.unroute('**/v1/sites/**');
      await b.page.click('#problem button');
      expect(await settled(b.page)).toBe('ready');
      expect(await b.page.isVisible('#problem')).toBe(false);
    } finally {
      await b.close();
    }
  });
});
