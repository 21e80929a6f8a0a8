// The surveys admin API and its public read: what is stored, what the tag reads, what is refused.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Survey, SurveysList } from '@parcours/protocol';
import { ADMIN, call, registerSite } from '../../test/helpers.ts';

let address = 0;
/** Admin headers, each request from its own client address: the admin rate limit (100 per 10 s) stays out of the way. */
const admin = () => ({
  authorization: `Bearer ${ADMIN}`,
  'content-type': 'application/json',
  'cf-connecting-ip': `198.21.${(++address >> 8) & 255}.${address & 255}`,
});
const CSAT: Survey = {
  id: 'post-purchase',
  kind: 'csat',
  question: { en: 'Were you satisfied with your purchase?', fr: 'Êtes-vous satisfait de votre achat ?' },
  trigger: { after: 'purchase', delay_s: 2 },
  sample_rate: 0.5,
  cooldown_days: 30,
};
const NPS: Survey = {
  id: 'nps-account',
  kind: 'nps',
  question: { en: 'How likely are you to recommend us to a friend?' },
  trigger: { stage: 'retention', path: '/account*' },
  sample_rate: 1,
  cooldown_days: 90,
};

const add = (site: string, body: unknown) =>
  call(`/v1/admin/sites/${site}/surveys`, { method: 'POST', headers: admin(), body: JSON.stringify(body) });
const list = async (site: string) =>
  ((await (await call(`/v1/admin/sites/${site}/surveys`, { headers: admin() })).json()) as SurveysList).surveys;

describe('surveys', () => {
  it('adds, lists and removes a site’s surveys, and the tag reads them without a token, cacheable from any origin', async () => {
    const { id } = await registerSite();
    const other = await registerSite();
    const created = await add(id, CSAT);
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual(CSAT);
    expect((await add(id, NPS)).status).toBe(201);
    expect((await add(other.id, { ...NPS, id: 'elsewhere' })).status).toBe(201);
    expect(await list(id)).toEqual([CSAT, NPS]);

    const pub = await call(`/v1/sites/${id}/surveys`);
    expect(pub.status).toBe(200);
    expect(pub.headers.get('cache-control')).toBe('public, max-age=300');
    expect(pub.headers.get('access-control-allow-origin')).toBe('*');
    expect(await pub.json()).toEqual({ surveys: [CSAT, NPS] });

    const removed = await call(`/v1/admin/sites/${id}/surveys/${CSAT.id}`, { method: 'DELETE', headers: admin() });
    expect(await removed.json()).toEqual({ id: CSAT.id, deleted: true });
    expect(
      (await call(`/v1/admin/sites/${id}/surveys/${CSAT.id}`, { method: 'DELETE', headers: admin() })).status,
    ).toBe(404);
    expect(await (await call(`/v1/sites/${id}/surveys`)).json()).toEqual({ surveys: [NPS] });
    expect(await list(other.id)).toEqual([{ ...NPS, id: 'elsewhere' }]);
  });

  it('keeps a path glob in the form of the pages the tag compares it with (location.pathname)', async () => {
    const { id } = await registerSite();
    const res = await add(id, { ...CSAT, trigger: { path: '/produits/café crème/**' } });
    expect(res.status).toBe(201);
    // A browser on /produits/café crème/tasse has location.pathname /produits/caf%C3%A9%20cr%C3%A8me/tasse.
    const pathname = new URL('https://shop.example/produits/café crème/tasse').pathname;
    const [survey] = ((await (await call(`/v1/sites/${id}/surveys`)).json()) as SurveysList).surveys;
    expect(survey?.trigger.path).toBe('/produits/caf%C3%A9%20cr%C3%A8me/**');
    expect(pathname.startsWith(survey!.trigger.path!.replace('/**', '/'))).toBe(true);
  });

  it('keeps the reports private: the public read opens the surveys only', async () => {
    const { id } = await registerSite();
    expect((await call(`/v1/sites/${id}/funnel`)).status).toBe(401);
    expect((await call(`/v1/sites/${id}/funnel`)).headers.get('cache-control')).toBe('no-store');
    expect((await call('/v1/sites/no-such-site/surveys')).status).toBe(404);
  });

  it('refuses a second survey of the same id, a 21st survey, an unknown site and a missing admin token', async () => {
    const { id } = await registerSite();
    expect((await add(id, CSAT)).status).toBe(201);
    const again = await add(id, { ...CSAT, question: { en: 'Other?' } });
    expect([again.status, await again.json()]).toEqual([409, { error: 'survey-exists' }]);
    for (let i = 1; i < 20; i++) expect((await add(id, { ...NPS, id: `s${i}` })).status).toBe(201);
    const full = await add(id, { ...NPS, id: 's20' });
    expect([full.status, await full.json()]).toEqual([409, { error: 'too-many-surveys' }]);
    expect((await add('no-such-site', CSAT)).status).toBe(404);
    const anonymous = await call(`/v1/admin/sites/${id}/surveys`, { method: 'POST', body: JSON.stringify(NPS) });
    expect(anonymous.status).toBe(401);
    expect(await list(id)).toHaveLength(20);
  });

  it('cleans control characters out of questions and keeps what the body says, nothing more', async () => {
    const { id } = await registerSite();
    const res = await add(id, { ...NPS, question: { 'pt-BR': '  Recomendaria\u202E?\u0000 ' }, trigger: {} });
    expect(await res.json()).toMatchObject({ question: { 'pt-BR': 'Recomendaria?' }, trigger: {} });
  });

  // One site for the refusals: registering one per case would meet the admin rate limit.
  let sharedSite: Promise<{ id: string }>;
  beforeAll(() => {
    sharedSite = registerSite();
  });
  const bad: Array<[string, unknown, string]> = [
    ['not an object', [CSAT], 'the body'],
    ['no id', { ...CSAT, id: undefined }, 'id'],
    ['an id with spaces', { ...CSAT, id: 'post purchase' }, 'id'],
    ['an unknown kind', { ...CSAT, kind: 'stars' }, 'kind'],
    ['no question', { ...CSAT, question: {} }, 'question'],
    ['a question that is a string', { ...CSAT, question: 'Satisfied?' }, 'question'],
    ['a question in no language', { ...CSAT, question: { 'english please': 'Satisfied?' } }, 'question'],
    ['an empty question', { ...CSAT, question: { en: ' \u200B ' } }, 'question'],
    ['a question too long', { ...CSAT, question: { en: 'x'.repeat(301) } }, 'question'],
    ['a question that is a number', { ...CSAT, question: { en: 5 } }, 'question'],
    ['a stage the site does not have', { ...CSAT, trigger: { stage: 'nirvana' } }, 'trigger.stage'],
    ['a path not from /', { ...CSAT, trigger: { path: 'account' } }, 'trigger.path'],
    ['a path with a query', { ...CSAT, trigger: { path: '/account?x=1' } }, 'trigger.path'],
    ['an after that is markup', { ...CSAT, trigger: { after: '<script>' } }, 'trigger.after'],
    ['a delay of -1', { ...CSAT, trigger: { delay_s: -1 } }, 'trigger.delay_s'],
    ['a delay of 2.5', { ...CSAT, trigger: { delay_s: 2.5 } }, 'trigger.delay_s'],
    ['an unknown trigger field', { ...CSAT, trigger: { when: 'now' } }, 'trigger'],
    ['a sample rate of 0', { ...CSAT, sample_rate: 0 }, 'sample_rate'],
    ['a sample rate of 1.5', { ...CSAT, sample_rate: 1.5 }, 'sample_rate'],
    ['a sample rate as a string', { ...CSAT, sample_rate: '0.5' }, 'sample_rate'],
    ['a cooldown of -1 days', { ...CSAT, cooldown_days: -1 }, 'cooldown_days'],
    ['a cooldown of 1.5 days', { ...CSAT, cooldown_days: 1.5 }, 'cooldown_days'],
    ['an unknown field', { ...CSAT, free_text: true }, 'no field free_text'],
  ];
  it.each(bad)('refuses a survey with %s: 400 invalid-survey, nothing stored', async (_, body, field) => {
    const { id } = await sharedSite;
    const res = await add(id, body);
    expect(res.status).toBe(400);
    // The message names the field that is wrong (the body itself when it is not an object).
    const refusal = (await res.json()) as { error: string; message: string };
    expect(refusal.error).toBe('invalid-survey');
    expect(refusal.message.startsWith(field), refusal.message).toBe(true);
    expect(await list(id)).toEqual([]);
  });
});
