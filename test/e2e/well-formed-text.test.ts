import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';
import { about, hotlineClient, type Json, type Mail } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * Text with lone UTF-16 surrogates (`"\ud800"` is valid JSON, but no UTF-8 encoder, mail or strict JSON tool
 * takes one) entering through an alert, a declaration and a responder's update reaches the API's answers and
 * the mails as U+FFFD, never as a `\ud800` escape.
 */

let hotline: HotlineTarget;
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

const client = hotlineClient(() => hotline);
const { waitForMails } = client;

const LONE = '\ud800';
/** A JSON text carrying a lone surrogate: what strict tools (jq, Python's json with surrogates) refuse. */
const hasLoneSurrogate = (text: string) => /\\ud[89a-f][0-9a-f]{2}/i.test(text) || !text.isWellFormed();

async function answerText(path: string): Promise<string> {
  const response = await fetch(`${hotline.target.urls.api}${path}`, { headers: hotline.operator() });
  expect(response.status).toBe(200);
  return response.text();
}

describe('lone surrogates in text from outside', () => {
  it('an alert carrying one: U+FFFD in the API answers and in the page mail', async () => {
    const body = fixture<Json>('alertmanager', 'firing-v4');
    const summary = `Checkout API 5xx ${LONE}rate above 5%`;
    body.groupKey = 'well-formed-1';
    body.commonAnnotations = { ...body.commonAnnotations, summary };
    body.alerts = (body.alerts as Json[]).map((a) => ({
      ...a,
      labels: { ...a.labels, [`team${LONE}`]: `payments${LONE}` },
      annotations: { ...a.annotations, summary, description: `broken ${LONE}` },
    }));
    const raw = JSON.stringify(body);
    expect(raw).toContain('\\ud800');

    const posted = await fetch(`${hotline.target.urls.api}/alerts/alertmanager`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${hotline.secretOf('alertmanager')}`,
        'content-type': 'application/json',
      },
      body: raw,
    });
    const postedText = await posted.text();
    expect(posted.status, postedText).toBe(202);
    expect(hasLoneSurrogate(postedText)).toBe(false);
    const key = (JSON.parse(postedText) as { incidents: { key: string }[] }).incidents[0]?.key as string;

    const detail = await answerText(`/incidents/${key}`);
    expect(hasLoneSurrogate(detail)).toBe(false);
    const parsed = JSON.parse(detail) as Json;
    expect(parsed.incident.summary).toMatch(/^Checkout API 5xx \ufffdrate above 5%/);
    expect(parsed.alerts[0].labels).toMatchObject({ 'team\ufffd': 'payments\ufffd' });
    expect(hasLoneSurrogate(await answerText('/incidents?limit=5'))).toBe(false);

    const [page] = await waitForMails('the page', about(key, ' - Paged'));
    const mail = page as Mail;
    expect(mail.subject).toContain('\ufffd');
    expect(`${mail.body.text}${mail.body.html}`).toContain('5xx \ufffdrate');
    expect(hasLoneSurrogate(JSON.stringify(mail))).toBe(false);
  });

  it('a declaration and an update carrying one: U+FFFD in the answers', async () => {
    const declared = await fetch(`${hotline.target.urls.api}/incidents`, {
      method: 'POST',
      headers: { ...hotline.operator(), 'content-type': 'application/json' },
      body: JSON.stringify({
        summary: `Payments ${LONE}failing`,
        description: `Customers see errors ${LONE}at checkout.`,
        severity: 3,
        service: 'checkout',
        products: [`Checkout${LONE}`],
      }),
    });
    const declaredText = await declared.text();
    expect(declared.status, declaredText).toBe(201);
    const { key } = JSON.parse(declaredText) as { key: string };

    const updated = await fetch(`${hotline.target.urls.api}/incidents/${key}/severity`, {
      method: 'POST',
      headers: { ...hotline.operator(), 'content-type': 'application/json' },
      body: JSON.stringify({ severity: 2, reason: `Spreading ${LONE}to the EU` }),
    });
    const updatedText = await updated.text();
    expect(updated.status, updatedText).toBe(200);
    expect(hasLoneSurrogate(updatedText)).toBe(false);

    const detail = await answerText(`/incidents/${key}`);
    expect(hasLoneSurrogate(detail)).toBe(false);
    expect((JSON.parse(detail) as Json).incident.summary).toBe('Payments \ufffdfailing');
    expect(detail).toContain('Spreading \ufffdto the EU');
  });
});
