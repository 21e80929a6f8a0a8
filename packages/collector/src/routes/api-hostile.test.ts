// Hostile input against the reports, the export and the admin API: generated query strings, paths, tokens and bodies (fast-check).
// Same promise as events-hostile.test.ts for ingestion: no 5xx, only documented codes, nothing stored that the schema cannot trust.
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, DEVICES, DIMENSIONS, INTERVALS, isStageList, type SurveysList } from '@parcours/protocol';
import { ADMIN, call, freshEvents, postEvents, registerSite } from '../../test/helpers.ts';
import { MAX_FILTER_BYTES, MAX_FILTER_VALUES, sqlText } from '../reports/filter.ts';
import { checkWebhookUrl } from '../webhooks/url-check.ts';
import { TABLE } from '../db/schema.ts';

const RUNS = Math.max(40, Number((env as unknown as { HOSTILE_RUNS?: string }).HOSTILE_RUNS ?? 300));
const GENERATED_TIMEOUT = Math.max(60_000, RUNS * 100);

/** Every code the README documents for these endpoints, by status. */
const DOCUMENTED: Record<number, string[]> = {
  400: [
    'invalid-json',
    'invalid-query',
    'invalid-site-config',
    'invalid-visitor',
    'invalid-webhook',
    'invalid-webhook-url',
    'invalid-alert',
    'invalid-survey',
  ],
  401: ['unauthorized'],
  404: ['not-found'],
  405: ['method-not-allowed'],
  409: ['site-exists', 'too-many-webhooks', 'too-many-alerts', 'survey-exists', 'too-many-surveys', 'move-in-progress'],
  429: ['rate-limited'],
};
const REPORTS = [
  'funnel',
  'transitions',
  'friction',
  'forms',
  'carts',
  'kpis',
  'breakdown',
  'timeseries',
  'satisfaction',
  'events',
];
/** The parameter a report cannot run without (the generated query strings come with a valid one and without). */
const REQUIRED: Record<string, 'by' | 'interval'> = { breakdown: 'by', timeseries: 'interval' };
/** Valid values of the required parameters. */
const required = fc.record({ by: fc.constantFrom(...DIMENSIONS), interval: fc.constantFrom(...INTERVALS) });
/** `?` and the query string as sent: the report's required parameter first, when given and the report has one. */
function withRequired(report: string, qs: string, values: { by: string; interval: string } | null): string {
  const name = REQUIRED[report];
  return `?${values && name ? `${name}=${values[name]}&` : ''}${qs}`;
}

const statuses = new Map<number, number>();
let requests = 0;
let address = 0;

/** A request from its own client address (the rate limits stay out of the way); checks the answer is one the README lists. */
async function ask(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  address++;
  const headers = new Headers(init.headers);
  headers.set('cf-connecting-ip', `198.20.${(address >> 8) & 255}.${address & 255}`);
  const res = await call(path, { ...init, headers });
  requests++;
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  const text = new TextDecoder().decode(await res.arrayBuffer());
  expect(res.status, `${init.method ?? 'GET'} ${path.slice(0, 200)}: ${text.slice(0, 200)}`).toBeLessThan(500);
  // A path whose `..` segments climb out of /v1/ is not an API path any more (the dashboard's assets answer it).
  if (new URL(path, 'http://collector.test').pathname.startsWith('/v1/'))
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  if (res.status >= 400) {
    const body = JSON.parse(text) as { error: string };
    expect(DOCUMENTED[res.status], `status ${res.status} for ${path.slice(0, 200)}`).toBeDefined();
    expect(DOCUMENTED[res.status]).toContain(body.error);
    return { status: res.status, body };
  }
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, body: type.includes('ndjson') ? text : text ? JSON.parse(text) : null };
}

/** An object with these own keys, `__proto__` included (a literal would set the prototype instead). */
function own(entries: Array<[string, unknown]>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const NASTY = [
  '',
  ' ',
  '0',
  '-1',
  '0.5',
  '1e3',
  '1e400',
  'NaN',
  'Infinity',
  '0x10',
  '9'.repeat(400),
  '2026-02-30',
  '2026-11-01T24:00',
  '+275760-09-13',
  '2026-11-01T10:00+25:00',
  '1970-01-01',
  '9999-12-31T23:59:59.999Z',
  `'; DROP TABLE ${TABLE.events}; --`,
  '%',
  '%zz',
  '%E0%A4%A',
  '%00',
  '\u0000',
  '\uD800',
  '😀',
  '<script>',
  '__proto__',
  'constructor',
  'toString',
  '../../admin',
  'a'.repeat(5000),
  'MA',
  'AAAAAAAA',
  '=',
  '&',
  '#',
];
const hostileText = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 12 }),
  fc.integer().map(String),
);
const queryKey = fc.oneof(
  fc.constantFrom(
    'from',
    'to',
    'limit',
    'cursor',
    'abandon_after',
    'by',
    'interval',
    'site',
    'form',
    '__proto__',
    'constructor',
    '',
  ),
  fc.constantFrom(...DIMENSIONS),
  fc.string({ maxLength: 8 }),
);
/** Values a report may accept (dimension names, channels, devices, countries, intervals), alone or listed, as well as hostile ones. */
const queryValue = fc.oneof(
  hostileText,
  fc.constantFrom(
    ...DIMENSIONS,
    ...CHANNELS,
    ...DEVICES,
    ...INTERVALS,
    'FR',
    'XX',
    '(direct)',
    '(none)',
    'google.com',
    "l'été",
    '/p?a=1',
    'email,direct',
    'a,,b',
    ',',
  ),
);
/** A query string: parameters built by URLSearchParams, or raw text put after the `?` as it came. */
const queryString = fc.oneof(
  fc.array(fc.tuple(queryKey, queryValue), { maxLength: 4 }).map((pairs) => new URLSearchParams(pairs).toString()),
  fc.string({ unit: 'binary', maxLength: 60 }).map((s) => encodeURI(s.replace(/[\uD800-\uDFFF]/g, ''))),
  fc.constantFrom(
    'limit=1&limit=2',
    'from&to',
    '=&=&',
    '%',
    'cursor=%FF',
    'limit=%31',
    'a=1'.repeat(500),
    'channel=email&channel=direct',
    'by=channel&by=device',
    'country=fr',
    'interval=hour&from=2000-01-01',
  ),
);
/** A path segment: the site id or report name as a client may write it, escaped so it stays one segment. */
const segment = fc
  .oneof(
    fc.constantFrom('shop', '..', '.', '%2F', 'nobody-here', '__proto__', 'a'.repeat(300)),
    fc.string({ maxLength: 20 }),
  )
  .map((s) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '')));
/** What a client may put in Authorization (a header value: no CR, LF, NUL, nothing past Latin-1). */
const authorization = fc.oneof(
  fc.constantFrom(
    '',
    'Bearer',
    'Bearer ',
    'bearer x',
    'Basic eDp5',
    `Bearer ${ADMIN}x`,
    `Bearer  ${ADMIN.slice(1)}`,
    'Bearer ' + 'x'.repeat(10_000),
    'Bearer a b',
  ),
  fc.string({ maxLength: 60 }).map((s) => `Bearer ${s.replace(/[^\x20-\x7E]/g, '')}`),
);
const { value: hostileValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileText,
    fc.oneof(fc.constantFrom(NaN, Infinity, -1, 0, 1, 2 ** 53, 1e308, 0.5, 30, 400), fc.double(), fc.integer()),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .array(fc.tuple(fc.oneof(hostileText, fc.constantFrom('__proto__', 'constructor')), tie('value')), {
        maxLength: 3,
      })
      .map(own),
  ),
}));
const OPTION_KEYS = [
  'id',
  'origins',
  'stages',
  'bot_filter',
  'visitor_ids',
  'retention_days',
  'abandon_after',
  'require_ingest_key',
  'quota',
  '__proto__',
  'constructor',
];
const QUOTA_KEYS = ['events_per_day', 'bytes_per_day', 'events_per_visitor_per_day', '__proto__', 'x'];
/** A plausible admin body with some fields replaced by hostile values. */
const adminBody = fc.oneof(
  fc
    .tuple(
      fc.record({
        origins: fc.constantFrom(['https://shop.example'], ['*'], ['https://*.example'], [], 'https://x.example'),
        stages: fc.constantFrom(undefined, ['a', 'b'], ['a', 'a'], []),
        bot_filter: fc.constantFrom(undefined, true, false, 'no'),
        visitor_ids: fc.constantFrom(undefined, 'client', 'cookieless', 'ip'),
        retention_days: fc.constantFrom(undefined, null, 1, 400, 0, -1, 1.5, '30'),
        abandon_after: fc.constantFrom(undefined, 0.05, 30, 525_600, 0, 525_601, '30'),
        require_ingest_key: fc.constantFrom(undefined, true, false, 'false', 0),
        quota: fc.oneof(
          fc.constant(undefined),
          fc
            .array(
              fc.tuple(
                fc.constantFrom(...QUOTA_KEYS),
                fc.oneof(fc.constantFrom(0, 1, 1e9, 1e12, 1e13, -1, 0.5), hostileValue),
              ),
              { maxLength: 3 },
            )
            .map(own),
          hostileValue,
        ),
      }),
      fc.array(fc.tuple(fc.oneof(fc.constantFrom(...OPTION_KEYS), hostileText), hostileValue), { maxLength: 3 }),
    )
    .map(([base, changes]) => JSON.stringify(own([...Object.entries(base), ...changes]))),
  fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
  fc.string({ unit: 'binary', maxLength: 80 }).map((s) => s.replace(/[\uD800-\uDFFF]/g, '')),
);

/** A plausible webhook body: URLs that must be refused (private, loopback, credentials, other schemes) among valid ones. */
const webhookBody = fc.oneof(
  fc
    .tuple(
      fc.record({
        url: fc.oneof(
          fc.constantFrom(
            'https://hooks.example.com/p',
            'http://10.0.0.1/',
            'http://[::1]/',
            'https://[::ffff:127.0.0.1]/',
            'https://169.254.169.254/',
            'https://0177.0.0.1/',
            'https://u:p@hooks.example.com/',
            'file:///etc/passwd',
            'https://localhost./',
            'https://hooks.example.com:99999/',
          ),
          fc.webUrl({ withQueryParameters: true, withFragments: true }),
          hostileValue,
        ),
        events: fc.oneof(
          fc.subarray(['cart.abandoned', 'cart.recovered', 'alert.triggered', 'alert.resolved']),
          fc.array(hostileText, { maxLength: 3 }),
          hostileValue,
        ),
      }),
      fc.array(fc.tuple(fc.oneof(fc.constantFrom('url', 'events', '__proto__'), hostileText), hostileValue), {
        maxLength: 2,
      }),
    )
    .map(([base, changes]) => JSON.stringify(own([...Object.entries(base), ...changes]))),
  fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
);
/** A plausible alert body with hostile values mixed in. */
const alertBody = fc
  .record({
    metric: fc.oneof(
      fc.constantFrom(
        'conversion_rate',
        'visitors',
        'entered:decision',
        'exit_rate:/cart',
        'form_abandon_rate:x',
        'nps',
        'csat',
        'ces',
        'nps:x',
        'entered:',
      ),
      hostileText.map((t) => `exit_rate:${t}`),
      hostileValue,
    ),
    op: fc.oneof(fc.constantFrom('above', 'below', 'drops_by', 'rises_by', 'equals'), hostileValue),
    threshold: fc.oneof(fc.constantFrom(0, 0.5, 2, 1e9, 1e10, -1, -100, -101, Number.NaN), hostileValue),
    window_minutes: fc.oneof(fc.constantFrom(1, 60, 43_200, 43_201, 0, 1.5), hostileValue),
  })
  .map((b) => JSON.stringify(b));

let site: { id: string; token: string };
const created: string[] = [];

beforeAll(async () => {
  site = await registerSite();
  expect((await postEvents({ v: 1, site: site.id, sent_at: Date.now(), events: freshEvents(20) })).status).toBe(200);
});

describe('hostile input, reports and export', () => {
  it(
    `answers ${RUNS} generated query strings of every report with 200 or a documented refusal`,
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...REPORTS), queryString, fc.option(required), async (report, qs, values) => {
          const { status } = await ask(`/v1/sites/${site.id}/${report}${withRequired(report, qs, values)}`, {
            headers: { authorization: `Bearer ${site.token}` },
          });
          expect([200, 400]).toContain(status);
        }),
        { numRuns: RUNS },
      );
    },
    GENERATED_TIMEOUT,
  );

  it(
    `answers ${Math.round(RUNS / 2)} generated paths and tokens with a documented refusal, never a report of another site`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          segment,
          fc.oneof(fc.constantFrom(...REPORTS), segment),
          authorization,
          queryString,
          async (id, report, auth, qs) => {
            const path = `/v1/sites/${id}/${report}?${qs}`;
            const { status } = await ask(path, { headers: { authorization: auth } });
            // None of these tokens is a read token: no report is ever answered. `/v1/sites/../events` is GET /v1/events.
            expect(
              new URL(path, 'http://collector.test').pathname === '/v1/events' ? [405] : [400, 401, 404],
            ).toContain(status);
          },
        ),
        { numRuns: Math.round(RUNS / 2) },
      );
    },
    GENERATED_TIMEOUT,
  );

  it('answers the largest filter a query may hold on every report, and a larger one with 400, never a statement D1 refuses', async () => {
    const utf8 = new TextEncoder();
    const cost = (v: string) => utf8.encode(sqlText(v)).length + 2;
    /** Every channel and device, three countries, then values of up to 200 3-byte characters and quotes, to `budget` bytes. */
    const filter = (budget: number) => {
      const q: Record<string, string[]> = { channel: [...CHANNELS], device: [...DEVICES], country: ['FR', 'DE', 'US'] };
      let left =
        budget -
        Object.values(q)
          .flat()
          .reduce((n, v) => n + cost(v), 0);
      for (const d of ['source', 'medium', 'campaign', 'referrer', 'landing', 'browser', 'os'])
        for (let j = 0; j < MAX_FILTER_VALUES && left >= cost(`${j}'x`); j++) {
          let v = `${j}'`;
          while (v.length < 200 && cost(`${v}界`) <= left) v += '界';
          while (v.length < 200 && cost(`${v}'`) <= left) v += "'";
          while (v.length < 200 && cost(`${v}x`) <= left) v += 'x';
          q[d] = [...(q[d] ?? []), v];
          left -= cost(v);
        }
      const total = Object.values(q)
        .flat()
        .reduce((n, v) => n + cost(v), 0);
      return {
        total,
        query: Object.entries(q)
          .map(([d, values]) => `${d}=${encodeURIComponent(values.join(','))}`)
          .join('&'),
      };
    };
    const largest = filter(MAX_FILTER_BYTES);
    const over = filter(MAX_FILTER_BYTES + 40);
    expect(largest.total).toBeLessThanOrEqual(MAX_FILTER_BYTES);
    expect(largest.total).toBeGreaterThan(MAX_FILTER_BYTES - 10);
    expect(over.total).toBeGreaterThan(MAX_FILTER_BYTES);
    const auth = { headers: { authorization: `Bearer ${site.token}` } };
    for (const report of REPORTS) {
      const values = { by: 'landing', interval: 'day' };
      expect(
        (await ask(`/v1/sites/${site.id}/${report}${withRequired(report, largest.query, values)}`, auth)).status,
        report,
      ).toBe(200);
      expect(
        (await ask(`/v1/sites/${site.id}/${report}${withRequired(report, over.query, values)}`, auth)).status,
        report,
      ).toBe(400);
    }
  });

  it('refuses hostile export cursors with 400 and pages through to the end with the cursors it gave', async () => {
    for (const cursor of ['', '0', '-1', 'AAAA', 'x'.repeat(401), '%FF', '____', 'bm9wZQ', btoa('\xff\xfe'), '1e999']) {
      const { status } = await ask(`/v1/sites/${site.id}/events?limit=3&cursor=${encodeURIComponent(cursor)}`, {
        headers: { authorization: `Bearer ${site.token}` },
      });
      expect([200, 400], cursor).toContain(status);
    }
    let lines = 0;
    let next: string | null = '';
    for (let page = 0; next !== null && page < 20; page++) {
      const res = await call(`/v1/sites/${site.id}/events?limit=3${next ? `&cursor=${next}` : ''}`, {
        headers: { authorization: `Bearer ${site.token}`, 'cf-connecting-ip': '198.21.0.1' },
      });
      expect(res.status).toBe(200);
      lines += new TextDecoder()
        .decode(await res.arrayBuffer())
        .split('\n')
        .filter(Boolean).length;
      next = res.headers.get('x-next-cursor');
    }
    expect(lines).toBe(20);
  });
});

const SURVEY_KEYS = ['id', 'kind', 'question', 'trigger', 'sample_rate', 'cooldown_days', '__proto__', 'x'];
/** A valid survey body: a fair share of the generated ones must be stored, or the check of what is stored is vacuous. */
const validSurveyBody = fc
  .record({
    id: fc.uuid().map((u) => `s-${u.slice(0, 8)}`),
    kind: fc.constantFrom('nps', 'csat', 'ces'),
    sample_rate: fc.constantFrom(0.2, 1),
    cooldown_days: fc.constantFrom(0, 30),
  })
  .map((base) => JSON.stringify({ ...base, question: { en: 'Satisfied?' }, trigger: { after: 'purchase' } }));

/** A plausible survey body (docs/PROTOCOL.md "Satisfaction") with some fields replaced by hostile values. */
const surveyBody = fc.oneof(
  validSurveyBody,
  fc
    .tuple(
      fc.record({
        id: fc.oneof(
          fc.uuid().map((u) => `s-${u.slice(0, 8)}`),
          hostileText,
        ),
        kind: fc.constantFrom('nps', 'csat', 'ces', 'NPS', '', undefined),
        question: fc.oneof(
          fc.constant({ en: 'Satisfied?', fr: 'Satisfait ?' }),
          fc
            .array(fc.tuple(fc.oneof(fc.constantFrom('en', 'pt-BR', 'zh-Hant-TW'), hostileText), hostileValue), {
              maxLength: 3,
            })
            .map(own),
          hostileValue,
        ),
        trigger: fc.oneof(
          fc.constant(undefined),
          fc.record(
            {
              stage: fc.oneof(fc.constantFrom('decision', 'retention', 'nirvana'), hostileText),
              path: fc.oneof(fc.constantFrom('/account*', '/', 'account', '/a?b'), hostileText),
              after: fc.oneof(fc.constantFrom('purchase', 'form_submit', '<b>'), hostileText),
              delay_s: fc.constantFrom(0, 2, 3600, 3601, -1, 2.5, '2'),
            },
            { requiredKeys: [] },
          ),
          hostileValue,
        ),
        sample_rate: fc.constantFrom(0.2, 1, 0, 1.5, -0.1, '0.2', null),
        cooldown_days: fc.constantFrom(0, 30, 3650, 3651, -1, 1.5, '30'),
      }),
      fc.array(fc.tuple(fc.oneof(fc.constantFrom(...SURVEY_KEYS), hostileText), hostileValue), { maxLength: 2 }),
    )
    .map(([base, changes]) => JSON.stringify(own([...Object.entries(base), ...changes]))),
  fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
  fc.string({ unit: 'binary', maxLength: 80 }).map((s) => s.replace(/[\uD800-\uDFFF]/g, '')),
);

describe('hostile input, admin API', () => {
  const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

  it(
    `answers ${RUNS} generated registration and PATCH bodies with 2xx or a documented refusal`,
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('POST', 'PATCH'), adminBody, fc.uuid(), async (method, body, uuid) => {
          // A fresh id on registration unless the body names one; PATCH changes the one site every run shares, or none.
          const patched = method === 'PATCH' ? `${site.id}` : '';
          let sent = body;
          if (method === 'POST') {
            try {
              const parsed = JSON.parse(body);
              if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && !Object.hasOwn(parsed, 'id'))
                sent = JSON.stringify({ ...parsed, id: `h-${uuid.slice(0, 8)}` });
            } catch {
              // not JSON: sent as it is
            }
          }
          const { status, body: reply } = await ask(
            method === 'POST' ? '/v1/admin/sites' : `/v1/admin/sites/${patched}`,
            { method, headers: admin, body: sent },
          );
          expect([200, 201, 400, 404, 409]).toContain(status);
          if (status === 201) created.push((reply as { id: string }).id);
        }),
        { numRuns: RUNS },
      );
    },
    GENERATED_TIMEOUT,
  );

  it(
    `answers ${Math.round(RUNS / 2)} generated visitor ids to erase with 200 and a count, or a documented refusal`,
    async () => {
      await fc.assert(
        fc.asyncProperty(segment, async (visitor) => {
          const { status, body } = await ask(`/v1/admin/sites/${site.id}/visitors/${visitor}`, {
            method: 'DELETE',
            headers: admin,
          });
          expect([200, 400, 404]).toContain(status);
          if (status === 200) expect(body).toEqual({ events_deleted: expect.any(Number) });
        }),
        { numRuns: Math.round(RUNS / 2) },
      );
    },
    GENERATED_TIMEOUT,
  );

  it(
    `answers ${RUNS} generated webhook and alert bodies with 201 or a documented refusal, storing only safe URLs`,
    async () => {
      const hostile = await registerSite();
      await fc.assert(
        fc.asyncProperty(fc.boolean(), webhookBody, alertBody, async (isWebhook, hook, alert) => {
          const { status } = await ask(`/v1/admin/sites/${hostile.id}/${isWebhook ? 'webhooks' : 'alerts'}`, {
            method: 'POST',
            headers: admin,
            body: isWebhook ? hook : alert,
          });
          expect([201, 400, 409]).toContain(status);
        }),
        { numRuns: RUNS },
      );
      // Every stored URL passes the check the consumer makes again before each delivery.
      const { results } = await env.DB.prepare(`SELECT url, events FROM ${TABLE.webhooks} WHERE site = ?`)
        .bind(hostile.id)
        .all<{ url: string; events: string }>();
      for (const w of results) {
        expect(checkWebhookUrl(w.url, false)).toEqual({ url: w.url });
        expect(new URL(w.url).protocol).toBe('https:');
      }
      const stored = await env.DB.prepare(
        `SELECT metric, op, threshold, window_minutes FROM ${TABLE.alerts} WHERE site = ?`,
      )
        .bind(hostile.id)
        .all<{ metric: string; op: string; threshold: number; window_minutes: number }>();
      for (const a of stored.results) {
        expect(['above', 'below', 'drops_by', 'rises_by']).toContain(a.op);
        expect(Number.isInteger(a.window_minutes) && a.window_minutes >= 1 && a.window_minutes <= 43_200).toBe(true);
        // NPS is in points from −100; every other metric starts at 0.
        expect(a.threshold >= (a.metric === 'nps' ? -100 : 0) && a.threshold <= 1e9).toBe(true);
      }
    },
    GENERATED_TIMEOUT,
  );

  it(
    `answers ${RUNS} generated survey bodies with 201 or a documented refusal, and lists only valid surveys`,
    async () => {
      const surveySite = await registerSite();
      let stored = 0;
      await fc.assert(
        fc.asyncProperty(surveyBody, async (body) => {
          const { status } = await ask(`/v1/admin/sites/${surveySite.id}/surveys`, {
            method: 'POST',
            headers: admin,
            body,
          });
          expect([201, 400, 409]).toContain(status);
          if (status === 201) stored++;
        }),
        { numRuns: RUNS },
      );
      // What was stored is what the tag can read: every survey well formed.
      const { body } = await ask(`/v1/sites/${surveySite.id}/surveys`);
      console.log(`api hostile suite: ${stored} generated surveys stored`);
      expect((body as SurveysList).surveys).toHaveLength(Math.min(stored, 20));
      expect(stored).toBeGreaterThan(0);
      for (const s of (body as SurveysList).surveys) {
        expect(s.id).toMatch(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/);
        expect(['nps', 'csat', 'ces']).toContain(s.kind);
        expect(Object.values(s.question).every((q) => typeof q === 'string' && q.length > 0 && q.length <= 300)).toBe(
          true,
        );
        expect(s.sample_rate > 0 && s.sample_rate <= 1).toBe(true);
        expect(Number.isInteger(s.cooldown_days)).toBe(true);
      }
    },
    GENERATED_TIMEOUT,
  );

  it(
    `answers ${Math.round(RUNS / 4)} generated bodies of a move to another shard count with 2xx or a documented refusal`,
    async () => {
      const moved = await registerSite();
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            adminBody,
            fc.integer({ min: -2, max: 70 }).map((shards) => JSON.stringify({ shards })),
          ),
          async (body) => {
            const { status } = await ask(`/v1/admin/sites/${moved.id}/shards`, {
              method: 'POST',
              headers: admin,
              body,
            });
            expect([200, 202, 400, 409]).toContain(status);
          },
        ),
        { numRuns: Math.round(RUNS / 4) },
      );
    },
    GENERATED_TIMEOUT,
  );

  it(
    `answers ${Math.round(RUNS / 2)} generated admin paths, methods and tokens with a documented refusal`,
    async () => {
      const path = fc.oneof(
        segment.map((id) => `/v1/admin/sites/${id}`),
        segment.map((id) => `/v1/admin/sites/${id}/token`),
        segment.map((id) => `/v1/admin/sites/${id}/shards`),
        fc.tuple(segment, segment).map(([a, b]) => `/v1/admin/sites/${a}/visitors/${b}`),
        segment.map((id) => `/v1/admin/sites/${id}/surveys`),
        fc.tuple(segment, segment).map(([id, survey]) => `/v1/admin/sites/${id}/surveys/${survey}`),
        fc.tuple(segment, segment).map(([a, b]) => `/v1/admin/${a}/${b}`),
        fc.constant('/v1/admin/sites'),
      );
      await fc.assert(
        fc.asyncProperty(
          path,
          fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE'),
          authorization,
          adminBody,
          async (p, method, auth, body) => {
            const { status } = await ask(p, {
              method,
              headers: { authorization: auth },
              body: method === 'GET' ? undefined : body,
            });
            // No generated token is the admin token.
            expect([401, 404]).toContain(status);
          },
        ),
        { numRuns: Math.round(RUNS / 2) },
      );
    },
    GENERATED_TIMEOUT,
  );
});

// Whatever was sent, every site row is one ingestion and the reports can trust, and the shared site still reports.
afterAll(async () => {
  const { results } = await env.DB.prepare(`SELECT * FROM ${TABLE.sites}`).all<
    Record<string, string | number | null>
  >();
  for (const r of results) {
    expect(String(r.id)).toMatch(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/);
    const origins = JSON.parse(String(r.origins)) as unknown[];
    for (const o of origins)
      expect(o === '*' || (typeof o === 'string' && new URL(o).origin === o), JSON.stringify(o)).toBe(true);
    expect(isStageList(JSON.parse(String(r.stages)))).toBe(true);
    expect([0, 1]).toContain(r.bot_filter);
    expect(['client', 'cookieless']).toContain(r.visitor_ids);
    expect([0, 1]).toContain(r.require_ingest_key);
    expect(r.retention_days === null || (Number.isInteger(r.retention_days) && (r.retention_days as number) >= 1)).toBe(
      true,
    );
    expect((r.abandon_after as number) > 0 && (r.abandon_after as number) <= 525_600).toBe(true);
    for (const k of ['quota_events_per_day', 'quota_bytes_per_day', 'quota_events_per_visitor_per_day'])
      expect(Number.isSafeInteger(r[k]) && (r[k] as number) >= 0 && (r[k] as number) <= 1e12, `${k} ${r[k]}`).toBe(
        true,
      );
  }
  for (const report of REPORTS)
    expect(
      (
        await ask(`/v1/sites/${site.id}/${report}${withRequired(report, '', { by: 'channel', interval: 'day' })}`, {
          headers: { authorization: `Bearer ${site.token}` },
        })
      ).status,
    ).toBe(200);
  console.log(
    `api hostile suite: ${requests} requests, ${created.length} sites registered, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
  );
}, GENERATED_TIMEOUT);
