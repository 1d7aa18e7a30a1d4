import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOrganisation } from '../../functions/core/config.ts';
import { synthesize } from '../../infra/local/synth.ts';
import example from '../../infra/organisation.example.ts';
import { eventually } from '../support/eventually.ts';
import { hotlineClient, type Json } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * An alert storm on the real stack's local target: the example organisation with `paging.sms.maxPerHour` of 2,
 * and six incidents no service claims, each paging the SRE schedule's holder (Grace, by an override) by mail and
 * SMS at once. Grace gets two page texts and one summary; the other three texts are held, each written on its
 * own incident's timeline; all six page mails arrive.
 */

const LIMIT = 2;
const STORM = 6;
const GRACE_PHONE = '+12025550123';

let hotline: HotlineTarget;
let assemblyRoot: string;
const { api, waitForMails } = hotlineClient(() => hotline);

beforeAll(async () => {
  assemblyRoot = mkdtempSync(join(tmpdir(), 'hotline-storm-assembly-'));
  const organisation = parseOrganisation({
    ...example,
    paging: { ...example.paging, sms: { ...example.paging?.sms, maxPerHour: LIMIT } },
  } as typeof example);
  // The limit is the organisation's, baked into the bundles as on AWS.
  const assemblyDir = await synthesize({
    outdir: join(assemblyRoot, 'cdk.out'),
    organisation,
    quiet: !process.env.HOTLINE_VERBOSE,
  });
  hotline = await startHotline({ assemblyDir });
});
afterAll(async () => {
  await hotline?.stop();
  if (assemblyRoot) rmSync(assemblyRoot, { recursive: true, force: true });
});

const messagesTo = async (phone: string) => {
  const response = await fetch(`${hotline.target.urls.aws}/_local/messages`, { headers: hotline.operator() });
  return ((await response.json()) as Json).messages.filter((m: Json) => m.to === phone) as Json[];
};

/** The pages are counted per clock hour: a storm that straddles one would be two counts. */
async function awayFromTheHoursEnd() {
  const left = 3_600_000 - (Date.now() % 3_600_000);
  if (left < 120_000) await new Promise((resolve) => setTimeout(resolve, left + 1_000));
}

describe('an alert storm paging one person', () => {
  it(`texts ${LIMIT} pages and one summary, holds the rest on each incident's timeline, and mails them all`, async () => {
    await awayFromTheHoursEnd();
    const cover = {
      personId: 'grace',
      start: new Date(Date.now() - 1_000).toISOString(),
      end: new Date(Date.now() + 3_600_000).toISOString(),
    };
    expect((await api('POST', '/schedules/sre/overrides', cover)).status).toBe(201);
    const keys = await Promise.all(
      Array.from({ length: STORM }, async (_, i) => {
        const declared = await api('POST', '/incidents', {
          summary: `Queue ${i + 1} backing up`,
          description: 'A queue no service claims is backing up.',
          severity: 2,
          service: 'unknown',
        });
        expect(declared.status).toBe(201);
        return declared.body.key as string;
      }),
    );

    // Every page mail arrives: mail is never throttled.
    await waitForMails(
      'the page mails to Grace',
      (m) =>
        keys.some((k) => m.subject.startsWith(`${k} `)) && m.destination.to.includes('grace@example.com'),
      STORM,
    );
    // Each incident's text to Grace is either sent or held, on its own timeline.
    const timelines = await eventually(
      async () => {
        const all = await Promise.all(
          keys.map(async (key) => ((await api('GET', `/incidents/${key}`)).body.timeline ?? []) as Json[]),
        );
        const settled = all.every((timeline) =>
          timeline.some(
            (e) =>
              (e.kind === 'page.sent' || e.kind === 'page.held') &&
              /^(Texted|Text to) .*Grace Hopper/.test(String(e.text)),
          ),
        );
        return settled ? all : undefined;
      },
      'every text to Grace sent or held',
      60_000,
    );
    const held = timelines.flatMap((timeline) => timeline.filter((e) => e.kind === 'page.held'));
    expect(held).toHaveLength(STORM - LIMIT - 1);
    for (const entry of held)
      expect(entry.text).toMatch(
        new RegExp(
          `^Text to incident manager Grace Hopper \\(\\+12\\*+23\\) held: more than ${LIMIT} texts this hour; mail only until \\d\\d:00 UTC\\.$`,
        ),
      );
    // No timeline shows her number.
    expect(JSON.stringify(timelines)).not.toContain(GRACE_PHONE);

    const texts = (await messagesTo(GRACE_PHONE)).filter((m) => m.channel === 'sms');
    expect(texts).toHaveLength(LIMIT + 1);
    const summaries = texts.filter((m) => String(m.body).includes('more pages by mail only'));
    expect(summaries).toHaveLength(1);
    expect(summaries[0]?.body).toMatch(
      new RegExp(
        `^HOT-\\d+ SEV2 Queue \\d backing up\\nOver ${LIMIT} texts this hour: more pages by mail only until \\d\\d:00 UTC\\.\\nReply ACK \\d{6}$`,
      ),
    );
    // One text per incident: the texted ones are not among the held ones.
    const texted = texts.map((m) => /^(HOT-\d+) /.exec(String(m.body))?.[1]);
    expect(new Set(texted).size).toBe(LIMIT + 1);
    const heldKeys = keys.filter((_, i) => timelines[i]?.some((e) => e.kind === 'page.held'));
    expect(heldKeys.filter((k) => texted.includes(k))).toEqual([]);
  });
});
