import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSigningKeys, type SigningKeys } from '../../functions/core/links.ts';
import {
  type LocalTarget,
  type StartLocalTargetOptions,
  startLocalTarget,
} from '../../infra/local/target.ts';
import { completePostmortem } from '../support/postmortem-flow.ts';

/**
 * The postmortem approval flow as the benchmarks drive it on the local target, the way people do (see
 * test/e2e/postmortem-approval.test.ts): a sev 2 declared, acknowledged and resolved, its postmortem written
 * in full, approval requested, and the decision links taken from the approvers' mails.
 */

export interface Mail {
  subject: string;
  destination: { to: string[] };
  body: { text: string; html: string };
}
// biome-ignore lint/suspicious/noExplicitAny: the API's JSON answers are read loosely
export type Json = Record<string, any>;

export interface BenchTarget {
  target: LocalTarget;
  stop(): Promise<void>;
}

/** The stack from the assembly on a fresh data directory, every service on a free port, quiet. */
export async function startBenchTarget(
  assemblyDir: string,
  options: Partial<StartLocalTargetOptions> = {},
): Promise<BenchTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-bench-approvals-'));
  const target = await startLocalTarget({
    assemblyDir,
    stackName: 'Hotline',
    dataDir: join(dir, 'data'),
    ports: { api: 0, ses: 0, aws: 0, dynamodb: 0 },
    log: () => undefined,
    ...options,
  });
  // aws-ses-v2-local keeps its mails in one store per process: those of targets started before are not ours.
  await fetch(`${target.urls.ses}/clear-store`, { method: 'POST' });
  return {
    target,
    async stop() {
      await target.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The link signing keys the functions use, read from their local parameter (`.../link-signing-keys`). */
export function localSigningKeys(target: LocalTarget): SigningKeys {
  const entry = Object.entries(target.parameters).find(([name]) => name.endsWith('/link-signing-keys'));
  if (!entry) throw new Error(`no link signing keys among ${Object.keys(target.parameters).join(', ')}`);
  return parseSigningKeys(entry[1]);
}

export const APPROVAL_SUBJECT = ' - Postmortem approval requested';

export interface DecisionLinks {
  approve: string;
  changes: string;
}

/** The approve and request-changes links of an approval mail. */
export function decisionLinks(mail: Mail): DecisionLinks {
  const link = (label: string) =>
    new RegExp(`${label}: [^<\\n]*<(https?://[^>]+/links/v1\\.[^>]+)>`).exec(mail.body.text)?.[1];
  const approve = link('Approve');
  const changes = link('Request changes');
  if (!approve || !changes) throw new Error(`no decision links in "${mail.subject}":\n${mail.body.text}`);
  return { approve, changes };
}

/** Which page a link answered with, from its text (a decision answers 200, a used link 409). */
export function pageOf(text: string): 'decided' | 'already-decided' | 'other' {
  if (/<h1>You (approved|requested changes to) the postmortem/.test(text)) return 'decided';
  if (/already decided/.test(text)) return 'already-decided';
  return 'other';
}

/** The content hash the confirm page offers (its hidden field). */
export function offeredHash(html: string): string {
  const hash = /name="contentHash" value="([^"]+)"/.exec(html)?.[1];
  if (!hash) throw new Error('the confirm page offers no content hash');
  return hash;
}

/** The operator API, the mails the local SES holds, and the steps of the approval flow. */
export class ApprovalFlow {
  constructor(readonly target: LocalTarget) {}

  async api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
    const response = await fetch(`${this.target.urls.api}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.target.operatorToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Json };
  }

  /** The API call, which must answer 2xx. */
  async ok(method: string, path: string, body?: unknown): Promise<Json> {
    const answer = await this.api(method, path, body);
    if (answer.status >= 300)
      throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  async mails(): Promise<Mail[]> {
    const store = await fetch(`${this.target.urls.ses}/store`);
    return ((await store.json()) as { emails: Mail[] }).emails;
  }

  /** The first `count` mails matching, once there are that many (30 s at most). */
  async waitForMails(what: string, match: (m: Mail) => boolean, count = 1): Promise<Mail[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const found = (await this.mails()).filter(match);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The decision links of `approver`'s `round`-th approval mail of `key` (1 = the first request). */
  async approverLinks(key: string, approver: string, round = 1): Promise<DecisionLinks> {
    const mails = await this.waitForMails(
      `approval mail ${round} of ${key} to ${approver}`,
      (m) =>
        m.subject.startsWith(`${key} - `) &&
        m.subject.endsWith(APPROVAL_SUBJECT) &&
        m.destination.to.includes(approver),
      round,
    );
    return decisionLinks(mails[round - 1] as Mail);
  }

  async postmortem(key: string): Promise<Json> {
    return (await this.ok('GET', `/incidents/${key}/postmortem`)).postmortem as Json;
  }

  /** The approvers the postmortem's service asks: mandatory ones first. */
  async approvers(key: string): Promise<{ mandatory: string[]; optional: string[] }> {
    const approvers = ((await this.postmortem(key)).approvals?.approvers ?? []) as Array<{
      address: string;
      mandatory: boolean;
    }>;
    const mandatory = approvers.filter((a) => a.mandatory).map((a) => a.address);
    const optional = approvers.filter((a) => !a.mandatory).map((a) => a.address);
    if (mandatory.length === 0) throw new Error(`the postmortem of ${key} has no mandatory approver`);
    return { mandatory, optional };
  }

  /** Saves the complete postmortem (its priority action titled `title`) over the current version. */
  async write(key: string, title: string): Promise<Json> {
    const { version } = await this.postmortem(key);
    const saved = await this.ok('PUT', `/incidents/${key}/postmortem`, {
      version,
      ...completePostmortem(title),
    });
    if ((saved.postmortem?.checks?.blocking ?? []).length > 0)
      throw new Error(`${key}: blocking checks left: ${JSON.stringify(saved.postmortem.checks.blocking)}`);
    return saved.postmortem as Json;
  }

  /** A sev 2 declared, acknowledged, resolved, and its postmortem written in full: ready for approval. */
  async readyForApproval(summary: string): Promise<string> {
    const { key } = (await this.ok('POST', '/incidents', {
      summary,
      description: 'Card payments fail at checkout.',
      severity: 2,
      service: 'checkout',
    })) as { key: string };
    await this.ok('POST', `/incidents/${key}/acknowledge`, {
      incidentManager: 'payments-oncall@example.com',
    });
    await this.ok('POST', `/incidents/${key}/resolve`, { supportCases: 2 });
    await this.waitForMails(
      `the postmortem owner mail of ${key}`,
      (m) => m.subject.startsWith(`${key} - `) && m.subject.endsWith(' - Postmortem'),
    );
    await this.write(key, 'Add a check of connection pool sizes to the change review checklist');
    return key;
  }

  async requestApproval(key: string): Promise<void> {
    await this.ok('POST', `/incidents/${key}/postmortem/request-approval`, {});
  }

  /** Opens a decision link (GET) and posts what its confirm page offers: a decision as an approver makes it. */
  async decide(link: string, comment?: string): Promise<{ status: number; text: string }> {
    const page = await fetch(link);
    const html = await page.text();
    if (page.status !== 200)
      throw new Error(`the confirm page answered ${page.status}: ${html.slice(0, 300)}`);
    const decision = /name="decision" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const body = new URLSearchParams({
      decision,
      contentHash: offeredHash(html),
      ...(comment === undefined ? {} : { comment }),
    });
    const answer = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'hotline-bench' },
      body: body.toString(),
    });
    return { status: answer.status, text: await answer.text() };
  }
}
