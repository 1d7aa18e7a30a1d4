import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { hotlineClient, type Json } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * A test page on the real stack's local target (IAM enforced): Ada, who has a phone, gets a mail, a text and a
 * call that each say it is a test; the GET answers what went out; a second within the minute is refused.
 */

const ADA_PHONE = '+447700900123';

let hotline: HotlineTarget;
const { api, waitForMails } = hotlineClient(() => hotline);
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

async function messages(): Promise<Json[]> {
  const response = await fetch(`${hotline.target.urls.aws}/_local/messages`, { headers: hotline.operator() });
  return ((await response.json()) as { messages: Json[] }).messages;
}

describe('test pages on the local target', () => {
  it('reaches Ada by mail, SMS and voice, records it, and refuses a second within the minute', async () => {
    const sent = await api('POST', '/people/ada/test-page');
    expect(sent.status).toBe(201);
    expect(sent.body.testPage).toMatchObject({ personId: 'ada', status: 'sent' });
    expect(sent.body.testPage.channels).toEqual([
      expect.objectContaining({ channel: 'email', to: 'ada@example.com', outcome: 'sent' }),
      expect.objectContaining({ channel: 'sms', to: '+44********23', outcome: 'sent' }),
      expect.objectContaining({ channel: 'voice', to: '+44********23', outcome: 'sent' }),
    ]);

    const [mail] = await waitForMails(
      'the test page mail',
      (m) =>
        m.subject === 'Hotline test page for Ada Lovelace' && m.destination.to.includes('ada@example.com'),
    );
    expect(mail?.body.text).toContain('there is no incident and nothing to do');
    const mine = await eventually(async () => {
      const found = (await messages()).filter((m) => m.to === ADA_PHONE && /Hotline test page/.test(m.body));
      return found.length >= 2 ? found : undefined;
    }, 'the test text and call to Ada');
    expect(mine.find((m) => m.channel === 'sms')?.body).toBe(
      'Hotline test page for Ada Lovelace: no incident, nothing to do.',
    );
    expect(mine.find((m) => m.channel === 'voice')?.body).toContain('nothing to do');

    const last = await api('GET', '/people/ada/test-page');
    expect(last.status).toBe(200);
    expect(last.body.testPage).toEqual(sent.body.testPage);

    const again = await api('POST', '/people/ada/test-page');
    expect(again.status).toBe(429);
    expect(again.body.error.message).toMatch(/the next is allowed at \d{4}-/);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(again.headers.get('retry-after'))).toBeLessThanOrEqual(60);
  });

  it('answers 404 for a person not in the configuration, and for one never test-paged', async () => {
    const unknown = await api('POST', '/people/nobody/test-page');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('nobody');
    expect((await api('GET', '/people/grace/test-page')).status).toBe(404);
    expect((await api('POST', '/people/Not%20an%20id/test-page')).status).toBe(400);
  });
});
