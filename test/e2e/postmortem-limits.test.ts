import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postmortemLimits } from '../../functions/core/postmortem.ts';
import { contentBytes } from '../../functions/core/postmortem-edit.ts';
import { eventually } from '../support/eventually.ts';
import { about, decisionLinks, hotlineClient, type Mail } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';
import { completePostmortem, postmortemReadyForApproval } from '../support/postmortem-flow.ts';

/**
 * The postmortem's caps are bytes, and the largest postmortem they accept is published: on the local target,
 * which refuses an item over 400 KB as DynamoDB does (UTF-8 bytes), so a cap that let through more than the
 * record, a version or the published document can hold fails here.
 */

let hotline: HotlineTarget;
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

const client = hotlineClient(() => hotline);
const { api, waitForMails } = client;

/** `size` bytes of Markdown-significant characters: each doubles when the document escapes it. */
const worst = (size: number, salt: string) => `${salt} ${'*_<`['.repeat(size)}`.slice(0, size);

type Content = Parameters<typeof contentBytes>[0];

/** Every text field full (Markdown-significant characters); the timeline still empty. */
function fullFields() {
  const base = completePostmortem('Add a check of connection pool sizes to the change review checklist');
  const full = postmortemLimits.text;
  return {
    fields: {
      ...base.fields,
      summary: worst(postmortemLimits.summary, 'Summary'),
      leadup: worst(full, 'Leadup'),
      fault: worst(full, 'Fault'),
      impact: worst(full, 'Impact'),
      detection: worst(full, 'Detection'),
      response: worst(full, 'Response'),
      recovery: worst(full, 'Recovery'),
      rootCause: worst(full, 'Root'),
      backlogCheck: worst(full, 'Backlog'),
      recurrence: { text: worst(full, 'Recurrence'), relatedIncidents: [] },
      lessons: {
        wentWell: worst(full, 'Well'),
        couldBeBetter: worst(full, 'Better'),
        gotLucky: worst(full, 'Lucky'),
      },
      fiveWhys: Array.from({ length: postmortemLimits.whys }, (_, i) =>
        worst(postmortemLimits.why, `Why ${i}`),
      ),
      timeline: [] as { at: string; text: string }[],
    },
    actions: base.actions,
  };
}

/**
 * Timeline rows added to the postmortem as stored (its actions with their ids and due dates) until the whole is
 * exactly `contentBytes`: the last row is cut to fill it.
 */
function filledTimeline(stored: Content): { at: string; text: string }[] {
  const content = structuredClone(stored);
  content.fields.timeline = [];
  for (let i = 0; i < postmortemLimits.timelineRows; i += 1) {
    const row = {
      at: `2026-11-30T14:${String(i % 60).padStart(2, '0')}:00.000Z`,
      text: worst(postmortemLimits.timelineText, `Row ${i}`),
    };
    content.fields.timeline.push(row);
    const over = contentBytes(content) - postmortemLimits.contentBytes;
    if (over >= 0) {
      row.text = row.text.slice(0, row.text.length - over);
      break;
    }
  }
  expect(contentBytes(content)).toBe(postmortemLimits.contentBytes);
  return content.fields.timeline;
}

describe('postmortem caps in bytes', () => {
  it('publishes the largest postmortem the caps accept, and refuses one byte more', async () => {
    const key = await postmortemReadyForApproval(client, 'Largest postmortem');
    const { postmortem } = (await api('GET', `/incidents/${key}/postmortem`)).body;
    const full = await api('PUT', `/incidents/${key}/postmortem`, {
      version: postmortem.version,
      ...fullFields(),
    });
    expect(full.status).toBe(200);
    const stored = full.body.postmortem as Content & { version: number };
    const timeline = filledTimeline(stored);

    const longer = structuredClone(timeline);
    const last = longer.at(-1) as { text: string };
    last.text = `${last.text}*`;
    const refused = await api('PUT', `/incidents/${key}/postmortem`, {
      version: stored.version,
      fields: { timeline: longer },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/150,001 bytes; at most 150,000/);

    const saved = await api('PUT', `/incidents/${key}/postmortem`, {
      version: stored.version,
      fields: { timeline },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.postmortem.checks.blocking).toEqual([]);
    expect((await api('POST', `/incidents/${key}/postmortem/request-approval`, {})).status).toBe(200);
    const [mail] = await waitForMails(
      'the approver mail',
      (m) =>
        about(key, ' - Postmortem approval requested')(m) &&
        m.destination.to.includes('head-of-payments@example.com'),
    );
    const { approve } = decisionLinks(mail as Mail);
    const page = await (await fetch(approve)).text();
    const hash = /name="contentHash" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const decided = await fetch(approve, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ decision: 'approved', contentHash: hash }).toString(),
    });
    expect(decided.status).toBe(200);

    await eventually(async () => {
      const { postmortem: now } = (await api('GET', `/incidents/${key}/postmortem`)).body;
      return now.status === 'published' ? now : undefined;
    }, 'the largest postmortem to be published');
    const document = await fetch(`${hotline.target.urls.api}/incidents/${key}/postmortem/document`, {
      headers: { ...hotline.operator(), accept: 'text/markdown' },
    });
    const markdown = await document.text();
    // Escaped, the document is about twice the content: it still fits its item.
    expect(new TextEncoder().encode(markdown).length).toBeGreaterThan(postmortemLimits.contentBytes * 1.8);
    expect(markdown).toContain('Backlog');
  });

  it('counts bytes, not characters: a field of 5,001 "é" (10,002 bytes) is refused', async () => {
    const key = await postmortemReadyForApproval(client, 'Accented postmortem');
    const { postmortem } = (await api('GET', `/incidents/${key}/postmortem`)).body;
    const refused = await api('PUT', `/incidents/${key}/postmortem`, {
      version: postmortem.version,
      fields: { leadup: 'é'.repeat(5_001) },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/leadup.*at most 10,000 bytes/);
    const accepted = await api('PUT', `/incidents/${key}/postmortem`, {
      version: postmortem.version,
      fields: { leadup: 'é'.repeat(5_000) },
    });
    expect(accepted.status).toBe(200);
  });
});
