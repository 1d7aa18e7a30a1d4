import { Agent, request } from 'node:http';
import { type LinkClaims, type SigningKeys, signLink } from '../../functions/core/links.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { ApprovalFlow, type Json, localSigningKeys, pageOf, startBenchTarget } from './approval-flow.ts';

/**
 * Postmortem approval links under attack, on the local target over loopback HTTP: generated requests (a seeded
 * generator: the same choices and mutations on every run, applied to that run's real links and keys) against `/links/{token}` that must never decide anything, and one
 * approval link posted many times at once, which must decide exactly once.
 *
 * The fixtures, made as people make them (API and mail links): postmortem A in review on its second version
 * (edited after the first request, so the first mails' links are stale; its optional approver approved the
 * second version), postmortem B in review, postmortem C sent back to draft by its mandatory approver. Every
 * generated request is one that must not decide: tampered, truncated, re-keyed, re-signed with a wrong key,
 * naming someone who is not asked, crossing postmortems, expired (signed with the local target's own key and a
 * past expiry), used, stale, with another method, or with a body that is not what the confirm page offered.
 */

export const linksConfig = {
  seed: 11,
  inFlight: 16,
  /** Requests per kind (10,000 in all), sent in a seeded shuffled order. */
  kinds: {
    'tampered bytes': 2_400,
    truncated: 600,
    'wrong key id': 700,
    'wrong key': 700,
    'wrong recipient': 600,
    'other postmortem': 600,
    expired: 700,
    reused: 500,
    'stale content': 600,
    'wrong method': 600,
    'body: other decision': 400,
    'body: other hash': 500,
    'body: missing fields': 400,
    'body: not a form': 300,
    'body: huge comment': 300,
    'scanner GET': 100,
  } as Record<string, number>,
  minRequests: 10_000,
};

export const concurrencyConfig = { posts: 50 };

type Decision = 'approved' | 'changes-requested';

interface LinkRequest {
  kind: string;
  method: string;
  path: string;
  body?: string;
  contentType?: string;
}

interface Answer {
  status: number;
  text: string;
}

/** One request over a keep-alive agent; status 0 when no answer came. */
function send(agent: Agent, base: URL, req: LinkRequest): Promise<Answer> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { 'user-agent': 'hotline-bench-links' };
    if (req.contentType) headers['content-type'] = req.contentType;
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    let outgoing: ReturnType<typeof request>;
    try {
      outgoing = request(
        { host: base.hostname, port: base.port, path: req.path, method: req.method, agent, headers },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', () => resolve({ status: 0, text: '' }));
        },
      );
    } catch (error) {
      resolve({ status: 0, text: (error as Error).message });
      return;
    }
    outgoing.setTimeout(60_000, () => outgoing.destroy(new Error('timed out')));
    outgoing.on('error', (error) => resolve({ status: 0, text: error.message }));
    outgoing.end(req.body);
  });
}

/** A real link: its token, its signed claims, and the decision and content hash its confirm page offers. */
interface RealLink {
  token: string;
  claims: LinkClaims;
  decision: Decision;
  hash: string;
  /** The comment a body for it carries (requests for changes need one). */
  comment?: string;
}

function realLink(url: string, comment = 'The root cause needs the review checklist owner.'): RealLink {
  const token = url.slice(url.indexOf('/links/') + '/links/'.length);
  const body = token.split('.')[2] ?? '';
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LinkClaims;
  const ref = /^(approved|changes-requested):(.+)$/.exec(claims.ref ?? '');
  if (!ref) throw new Error(`not an approval link: ${claims.action} ${claims.ref}`);
  const decision = ref[1] as Decision;
  return {
    token,
    claims,
    decision,
    hash: ref[2] as string,
    ...(decision === 'changes-requested' ? { comment } : {}),
  };
}

const form = (fields: Record<string, string | undefined>) =>
  new URLSearchParams(
    Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined),
  ).toString();

/** The body the confirm page of `link` would post. */
const offeredBody = (link: RealLink) =>
  form({ decision: link.decision, contentHash: link.hash, comment: link.comment });

const FORM = 'application/x-www-form-urlencoded';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** What a tampered position may become: the token's own alphabet mostly, and bytes that have no place in it. */
const TAMPER = [
  ...B64URL,
  ...B64URL,
  '.',
  '~',
  '+',
  '=',
  '!',
  '*',
  '%2F',
  '%2E',
  '%00',
  '%0A',
  '%20',
  '%25',
  '%C3%A9',
  '%FF',
  '%',
];

const decodes = (path: string) => {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
};

interface Fixtures {
  /** Postmortem A's current links for its mandatory approver: in review, undecided. */
  live: RealLink[];
  /** Postmortem B's current links for its mandatory approver: in review, undecided. */
  other: RealLink[];
  /** Postmortem A's links from before its edit (every approver). */
  stale: RealLink[];
  /** Links whose decision was made: A's optional approver's approval, C's request for changes (and its pair). */
  used: RealLink[];
  approvers: string[];
  keys: SigningKeys;
}

/** The requests, generated from the seed: each one must decide nothing. */
function generate(config: typeof linksConfig, fx: Fixtures): LinkRequest[] {
  const random = seededRandom(config.seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const text = (length: number, alphabet: string) =>
    Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  const path = (token: string) => `/links/${token}`;
  const post = (kind: string, token: string, body: string, contentType = FORM): LinkRequest => ({
    kind,
    method: 'POST',
    path: path(token),
    body,
    contentType,
  });
  const postOrGet = (kind: string, token: string, link: RealLink, postShare = 0.75): LinkRequest =>
    random() < postShare ? post(kind, token, offeredBody(link)) : { kind, method: 'GET', path: path(token) };
  const [kid, secret] = [fx.keys.activeKeyId, fx.keys.keys[fx.keys.activeKeyId] as string];
  const signWith = (claims: LinkClaims, keyId: string, key: string) =>
    signLink(claims, { activeKeyId: keyId, keys: { [keyId]: key } });
  const sign = (claims: LinkClaims) => signWith(claims, kid, secret);
  const newId = () => `01BENCH${text(19, '0123456789ABCDEFGHJKMNPQRSTVWXYZ')}`;
  const live = () => pick(fx.live);
  const anyReal = () => (random() < 0.6 ? live() : random() < 0.5 ? pick(fx.other) : pick(fx.stale));
  const nonApprovers = [
    'mallory@example.com',
    'payments-oncall@example.com',
    'payments-team@example.com',
    'head-of-payments@example.org',
    'head-of-payments@example.com.attacker.test',
    'approver@example.com',
    'incidents@example.com',
  ].filter((a) => !fx.approvers.some((b) => b.toLowerCase() === a.toLowerCase()));

  const makers: Record<string, () => LinkRequest> = {
    'tampered bytes': () => {
      const link = anyReal();
      let token = link.token;
      // One to three edits anywhere (version, key id, claims, signature, separators); never a no-op.
      while (decodes(token) === link.token) {
        token = link.token;
        for (let n = int(1, 3); n > 0; n--) {
          const at = int(0, token.length - 1);
          const op = random();
          const by = pick(TAMPER);
          if (op < 0.7) token = token.slice(0, at) + by + token.slice(at + 1);
          else if (op < 0.85) token = token.slice(0, at) + by + token.slice(at);
          else token = token.slice(0, at) + token.slice(at + 1);
        }
      }
      return postOrGet('tampered bytes', token, link);
    },
    truncated: () => {
      const link = anyReal();
      const keep = int(0, link.token.length - 1);
      const token = random() < 0.8 ? link.token.slice(0, keep) : link.token.slice(link.token.length - keep);
      return postOrGet('truncated', token, link);
    },
    'wrong key id': () => {
      const link = anyReal();
      const [version, , body, signature] = link.token.split('.') as [string, string, string, string];
      let other = kid;
      while (other === kid) {
        other = pick([
          'k0',
          'k2',
          'k10',
          kid.toUpperCase(),
          `${kid}${kid}`,
          '',
          'activeKeyId',
          '__proto__',
          'constructor',
          'toString',
          'hasOwnProperty',
          text(int(1, 8), B64URL),
        ]);
      }
      // Half keep the real signature; half are signed again with the real key under the other id.
      const token =
        random() < 0.5
          ? `${version}.${other}.${body}.${signature}`
          : signWith({ ...link.claims }, other, secret);
      return postOrGet('wrong key id', token, link);
    },
    'wrong key': () => {
      const link = anyReal();
      // A random key, or the real one with one character changed; the claims as they were or made worse.
      const key =
        random() < 0.8
          ? randomKey(random, int(32, 64))
          : (() => {
              const at = int(0, secret.length - 1);
              const by = B64URL.replace(secret[at] ?? '', '');
              return secret.slice(0, at) + (by[int(0, by.length - 1)] ?? 'x') + secret.slice(at + 1);
            })();
      const claims: LinkClaims =
        random() < 0.5
          ? { ...link.claims }
          : { ...link.claims, id: newId(), exp: link.claims.exp + int(1, 365) * 86_400 };
      return postOrGet('wrong key', signWith(claims, kid, key), link);
    },
    'wrong recipient': () => {
      // Signed with the real key, for the content in review, naming someone who is not asked.
      const link = live();
      const token = sign({ ...link.claims, id: newId(), recipient: pick(nonApprovers) });
      return postOrGet('wrong recipient', token, link, 0.85);
    },
    'other postmortem': () => {
      const a = live();
      const b = pick(fx.other);
      const variant = int(0, 3);
      if (variant === 0) return post('other postmortem', b.token, offeredBody(a)); // B's link, A's page
      if (variant === 1) return post('other postmortem', a.token, offeredBody(b)); // A's link, B's page
      if (variant === 2) {
        // A's incident id under B's key.
        const token = sign({ ...a.claims, id: newId(), key: b.claims.key });
        return post('other postmortem', token, offeredBody(a));
      }
      // B's incident, bound to A's content.
      const token = sign({ ...b.claims, id: newId(), ref: `${a.decision}:${a.hash}` });
      return post('other postmortem', token, offeredBody(a));
    },
    expired: () => {
      // Signed with the local target's key, everything right but the expiry: now, or up to 30 days ago.
      const link = random() < 0.7 ? live() : pick(fx.other);
      const now = Math.floor(Date.now() / 1000);
      const exp = now - (random() < 0.1 ? 0 : int(1, 30 * 86_400));
      return postOrGet('expired', sign({ ...link.claims, id: newId(), exp }), link, 0.8);
    },
    reused: () => {
      const link = pick(fx.used);
      return postOrGet('reused', link.token, link, 0.8);
    },
    'stale content': () => {
      const link = pick(fx.stale);
      return postOrGet('stale content', link.token, link);
    },
    'wrong method': () => {
      const link = random() < 0.7 ? live() : pick(fx.other);
      const method = pick(['PUT', 'DELETE', 'PATCH', 'HEAD']);
      return method === 'HEAD'
        ? { kind: 'wrong method', method, path: path(link.token) }
        : {
            kind: 'wrong method',
            method,
            path: path(link.token),
            body: offeredBody(link),
            contentType: FORM,
          };
    },
    'body: other decision': () => {
      const link = live();
      let decision: string = link.decision;
      while (decision === link.decision) {
        decision = pick([
          'approved',
          'changes-requested',
          'approve',
          'APPROVED',
          'approved ',
          'rejected',
          '',
        ]);
      }
      const comment = random() < 0.7 ? 'Looks fine to me.' : undefined;
      return post('body: other decision', link.token, form({ decision, contentHash: link.hash, comment }));
    },
    'body: other hash': () => {
      const link = live();
      const b = pick(fx.other);
      const stale = pick(fx.stale);
      let hash = link.hash;
      while (hash === link.hash) {
        const at = int(0, link.hash.length - 1);
        hash = pick([
          text(43, B64URL),
          b.hash,
          stale.hash,
          link.hash.slice(0, at) + pick([...B64URL]) + link.hash.slice(at + 1),
          `${link.hash}A`,
          link.hash.slice(1),
          link.hash.toUpperCase(),
          ` ${link.hash}`,
          '',
        ]);
      }
      return post(
        'body: other hash',
        link.token,
        form({ decision: link.decision, contentHash: hash, comment: link.comment }),
      );
    },
    'body: missing fields': () => {
      const link = live();
      const bodies = [
        '',
        form({ decision: link.decision }),
        form({ contentHash: link.hash }),
        form({ comment: 'Fine.' }),
        'decision&contentHash&comment',
        '=&=&=',
      ];
      // A request for changes with no comment, or only blanks, is missing its comment.
      if (link.decision === 'changes-requested') {
        bodies.push(
          form({ decision: link.decision, contentHash: link.hash }),
          form({ decision: link.decision, contentHash: link.hash, comment: ' \r\n\t ' }),
        );
      }
      return post('body: missing fields', link.token, pick(bodies));
    },
    'body: not a form': () => {
      const link = live();
      const fields = { decision: link.decision, contentHash: link.hash, comment: link.comment };
      const variant = int(0, 3);
      if (variant === 0)
        return post('body: not a form', link.token, JSON.stringify(fields), 'application/json');
      if (variant === 1) return post('body: not a form', link.token, offeredBody(link), 'text/plain');
      if (variant === 2) {
        const boundary = 'bench-boundary';
        const parts = Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
          .join('');
        return post(
          'body: not a form',
          link.token,
          `${parts}--${boundary}--\r\n`,
          `multipart/form-data; boundary=${boundary}`,
        );
      }
      return { kind: 'body: not a form', method: 'POST', path: path(link.token), body: offeredBody(link) };
    },
    'body: huge comment': () => {
      // The page's own decision and hash, with a comment over the 2,000-character cap (some over the 512 KB form).
      const link = live();
      const length = random() < 0.05 ? int(520_000, 600_000) : int(2_001, 50_000);
      const comment = text(length, `${B64URL}<>&"'é`);
      return post(
        'body: huge comment',
        link.token,
        form({ decision: link.decision, contentHash: link.hash, comment }),
      );
    },
    'scanner GET': () => {
      const link = random() < 0.7 ? live() : pick(fx.other);
      const query = pick(['', '?utm_source=mail', '?saved=1', `?decision=${link.decision}`]);
      return { kind: 'scanner GET', method: 'GET', path: `${path(link.token)}${query}` };
    },
  };

  const requests: LinkRequest[] = [];
  for (const [kind, count] of Object.entries(config.kinds)) {
    const make = makers[kind];
    if (!make) throw new Error(`no generator for ${kind}`);
    for (let i = 0; i < count; i++) requests.push(make());
  }
  // Kinds interleaved, so that every kind meets the others in flight.
  for (let i = requests.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [requests[i], requests[j]] = [requests[j] as LinkRequest, requests[i] as LinkRequest];
  }
  return requests;
}

function randomKey(random: () => number, length: number): string {
  return Array.from({ length }, () => B64URL[Math.floor(random() * 64)]).join('');
}

export interface KindRow {
  kind: string;
  requests: number;
  byStatus: Record<string, number>;
  /** Answered with a decision page. */
  decided: number;
  serverErrors: number;
  /** No answer at all (connection error, 60 s timeout). */
  noAnswer: number;
}

export interface LinksResult {
  seed: number;
  requests: number;
  seconds: number;
  rows: KindRow[];
  /** Requests answered with a decision page. */
  decidedPages: number;
  /** Decisions recorded on the fixtures during the run (their `approvals.decisions` before and after). */
  decisionsRecorded: number;
  /** Fixtures whose status or version changed during the run. */
  fixturesChanged: string[];
  serverErrors: number;
  noAnswer: number;
  /** Refusals the issue wants as 4xx that answered 2xx, per kind (must be none). */
  refusedWith2xx: Record<string, number>;
  ok: boolean;
}

/** Builds the fixtures, sends the generated requests `inFlight` at a time, and checks nothing was decided. */
export async function benchLinks(
  assemblyDir: string,
  config: typeof linksConfig = linksConfig,
  progress: (line: string) => void = () => undefined,
): Promise<LinksResult> {
  const bench = await startBenchTarget(assemblyDir);
  try {
    const flow = new ApprovalFlow(bench.target);
    progress('links: fixtures (three postmortems through the approval flow)');
    const [a, b, c] = await Promise.all([
      flow.readyForApproval('Checkout errors (fuzzed postmortem)'),
      flow.readyForApproval('Refund errors (other postmortem)'),
      flow.readyForApproval('Search errors (sent back)'),
    ]);
    const { mandatory, optional } = await flow.approvers(a);
    const approvers = [...mandatory, ...optional];
    const [m] = mandatory as [string];
    // A: asked, edited in review (the first links go stale), asked again; its optional approver approves.
    await flow.requestApproval(a);
    const firstRound = await Promise.all(approvers.map((x) => flow.approverLinks(a, x, 1)));
    await flow.write(a, 'Add a load check of connection pool sizes to every configuration change');
    const secondRound = await Promise.all(approvers.map((x) => flow.approverLinks(a, x, 2)));
    const used: RealLink[] = [];
    for (const [i, address] of optional.entries()) {
      const links = secondRound[mandatory.length + i];
      if (!links) continue;
      const decided = await flow.decide(links.approve);
      if (pageOf(decided.text) !== 'decided')
        throw new Error(`${address}'s approval was not recognised as a decision (${decided.status})`);
      // Their approval link is used; their request-changes link is for a version they already decided on.
      used.push(realLink(links.approve), realLink(links.changes));
    }
    // B: asked. C: asked, and its mandatory approver requests changes (back to draft).
    await Promise.all([flow.requestApproval(b), flow.requestApproval(c)]);
    const other = await flow.approverLinks(b, m, 1);
    const sentBack = await flow.approverLinks(c, m, 1);
    const comment = 'Name the owner of the checklist.';
    const changes = await flow.decide(sentBack.changes, comment);
    if (pageOf(changes.text) !== 'decided')
      throw new Error(`the request for changes was not recognised as a decision (${changes.status})`);
    used.push(realLink(sentBack.changes, comment), realLink(sentBack.approve));
    const live = secondRound[0] as { approve: string; changes: string };
    const fixtures: Fixtures = {
      live: [realLink(live.approve), realLink(live.changes)],
      other: [realLink(other.approve), realLink(other.changes)],
      stale: firstRound.flatMap((l) => [realLink(l.approve), realLink(l.changes)]),
      used,
      approvers,
      keys: localSigningKeys(bench.target),
    };
    const snapshot = async () =>
      Promise.all(
        [a, b, c].map(async (key) => {
          const p = await flow.postmortem(key);
          return {
            key,
            status: p.status as string,
            version: p.version as number,
            decisions: ((p.approvals?.decisions ?? []) as Json[]).length,
          };
        }),
      );
    const before = await snapshot();

    const requests = generate(config, fixtures);
    progress(`links: ${requests.length} requests, ${config.inFlight} in flight`);
    const base = new URL(bench.target.urls.api);
    const agent = new Agent({ keepAlive: true, maxSockets: config.inFlight });
    const rows = new Map<string, KindRow>();
    const refusedWith2xx: Record<string, number> = {};
    let next = 0;
    const started = performance.now();
    let lastProgress = started;
    const worker = async () => {
      while (next < requests.length) {
        const req = requests[next++] as LinkRequest;
        const answer = await send(agent, base, req);
        const row = rows.get(req.kind) ?? {
          kind: req.kind,
          requests: 0,
          byStatus: {},
          decided: 0,
          serverErrors: 0,
          noAnswer: 0,
        };
        rows.set(req.kind, row);
        row.requests++;
        const status = answer.status === 0 ? 'no answer' : String(answer.status);
        row.byStatus[status] = (row.byStatus[status] ?? 0) + 1;
        if (answer.status === 0) row.noAnswer++;
        if (answer.status >= 500) row.serverErrors++;
        if (pageOf(answer.text) === 'decided') row.decided++;
        if (answer.status >= 200 && answer.status < 300 && req.kind !== 'scanner GET')
          refusedWith2xx[req.kind] = (refusedWith2xx[req.kind] ?? 0) + 1;
        if (performance.now() - lastProgress > 10_000) {
          lastProgress = performance.now();
          progress(`links: ${next} of ${requests.length} sent`);
        }
      }
    };
    await Promise.all(Array.from({ length: config.inFlight }, worker));
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();

    const after = await snapshot();
    const decisionsRecorded = after.reduce((n, x, i) => n + x.decisions - (before[i]?.decisions ?? 0), 0);
    const fixturesChanged = after
      .filter((x, i) => x.status !== before[i]?.status || x.version !== before[i]?.version)
      .map((x, i) => `${x.key}: ${before[i]?.status} v${before[i]?.version} -> ${x.status} v${x.version}`);
    const ordered = Object.keys(config.kinds)
      .map((kind) => rows.get(kind))
      .filter((r): r is KindRow => r !== undefined);
    const sum = (f: (r: KindRow) => number) => ordered.reduce((n, r) => n + f(r), 0);
    const decidedPages = sum((r) => r.decided);
    const serverErrors = sum((r) => r.serverErrors);
    const noAnswer = sum((r) => r.noAnswer);
    return {
      seed: config.seed,
      requests: requests.length,
      seconds,
      rows: ordered,
      decidedPages,
      decisionsRecorded,
      fixturesChanged,
      serverErrors,
      noAnswer,
      refusedWith2xx,
      ok:
        requests.length >= config.minRequests &&
        decidedPages === 0 &&
        decisionsRecorded === 0 &&
        fixturesChanged.length === 0 &&
        serverErrors === 0 &&
        noAnswer === 0,
    };
  } finally {
    await bench.stop();
  }
}

/** The table `npm run bench` prints: one row per kind, one column per status code. */
export function linksTable(result: LinksResult): Json[] {
  const statuses = [...new Set(result.rows.flatMap((r) => Object.keys(r.byStatus)))].sort();
  // Named `HTTP 403`, not `403`: integer-like keys would come before the kind.
  return result.rows.map((r) => ({
    kind: r.kind,
    requests: r.requests,
    ...Object.fromEntries(statuses.map((s) => [`HTTP ${s}`, r.byStatus[s] ?? ''])),
    decided: r.decided,
    '5xx': r.serverErrors,
  }));
}

export interface ConcurrencyResult {
  posts: number;
  byStatus: Record<string, number>;
  decidedPages: number;
  alreadyDecidedPages: number;
  otherPages: number;
  serverErrors: number;
  /** `approvals.decisions` of the postmortem afterwards. */
  decisionsRecorded: number;
  seconds: number;
  ok: boolean;
}

/** One approval link, its confirm page's body posted `posts` times at once: exactly one decision. */
export async function benchLinkConcurrency(
  assemblyDir: string,
  config: typeof concurrencyConfig = concurrencyConfig,
): Promise<ConcurrencyResult> {
  const bench = await startBenchTarget(assemblyDir);
  try {
    const flow = new ApprovalFlow(bench.target);
    const key = await flow.readyForApproval('Checkout errors (one link, many posts)');
    const { mandatory } = await flow.approvers(key);
    await flow.requestApproval(key);
    const links = await flow.approverLinks(key, mandatory[0] as string, 1);
    const page = await fetch(links.approve);
    if (page.status !== 200) throw new Error(`the confirm page answered ${page.status}`);
    const html = await page.text();
    const hash = /name="contentHash" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const link = realLink(links.approve);
    if (hash !== link.hash) throw new Error('the confirm page offers another hash than its link is bound to');
    const base = new URL(bench.target.urls.api);
    // A socket each, all connected before the first post, so the posts leave together.
    const agent = new Agent({ keepAlive: true, maxSockets: config.posts });
    await Promise.all(
      Array.from({ length: config.posts }, () =>
        send(agent, base, { kind: 'warm', method: 'GET', path: '/links/v1' }),
      ),
    );
    const body = offeredBody(link);
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: config.posts }, () =>
        send(agent, base, {
          kind: 'post',
          method: 'POST',
          path: `/links/${link.token}`,
          body,
          contentType: FORM,
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();
    const byStatus: Record<string, number> = {};
    for (const a of answers) byStatus[String(a.status)] = (byStatus[String(a.status)] ?? 0) + 1;
    const pages = answers.map((a) => pageOf(a.text));
    const decidedPages = pages.filter((p) => p === 'decided').length;
    const alreadyDecidedPages = pages.filter((p) => p === 'already-decided').length;
    const serverErrors = answers.filter((a) => a.status >= 500 || a.status === 0).length;
    const decisionsRecorded = ((await flow.postmortem(key)).approvals?.decisions ?? []).length as number;
    return {
      posts: config.posts,
      byStatus,
      decidedPages,
      alreadyDecidedPages,
      otherPages: config.posts - decidedPages - alreadyDecidedPages,
      serverErrors,
      decisionsRecorded,
      seconds,
      ok:
        decidedPages === 1 &&
        decisionsRecorded === 1 &&
        alreadyDecidedPages === config.posts - 1 &&
        serverErrors === 0,
    };
  } finally {
    await bench.stop();
  }
}
