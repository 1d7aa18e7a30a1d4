import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { readJson, writeJson } from './data-files.ts';

/**
 * The SES account's own state locally, which aws-ses-v2-local does not keep: the account-level suppression list
 * (SES adds an address on a hard bounce or a complaint, for the reasons the account's suppression attributes
 * name) and the account itself (out of the sandbox). The SES front answers these SES v2 calls from here, once the
 * call is authorised:
 *
 *   GET    /v2/email/account                                 GetAccount
 *   PUT    /v2/email/account/suppression                     PutAccountSuppressionAttributes
 *   GET    /v2/email/suppression/addresses/{EmailAddress}    GetSuppressedDestination (NotFoundException if not)
 *   PUT    /v2/email/suppression/addresses                   PutSuppressedDestination
 *   DELETE /v2/email/suppression/addresses/{EmailAddress}    DeleteSuppressedDestination
 *   GET    /v2/email/suppression/addresses                   ListSuppressedDestinations (one page)
 *
 * The list and the reasons are kept across restarts in `<dataDir>/suppression.json`. AWS gives a new account both
 * reasons (BOUNCE, COMPLAINT), and so does `npm start`; a target started without `suppressedReasons` has none
 * until PutAccountSuppressionAttributes sets them, so tests that bounce an address on purpose do not mute it for
 * the tests after them.
 */

export type SuppressionReason = 'BOUNCE' | 'COMPLAINT';
const isReason = (r: unknown): r is SuppressionReason => r === 'BOUNCE' || r === 'COMPLAINT';

export interface SuppressedAddress {
  EmailAddress: string;
  Reason: SuppressionReason;
  /** Epoch seconds, as the restJson protocol carries timestamps. */
  LastUpdateTime: number;
}

/** What the front answers: a status and a JSON body (with SES's error type header for an error). */
export interface SesAnswer {
  status: number;
  body: unknown;
  errorType?: string;
}

export class LocalSesAccount {
  private readonly file: string;
  private readonly suppressed = new Map<string, SuppressedAddress>();
  private reasons: SuppressionReason[];

  constructor(dataDir: string, suppressedReasons: readonly SuppressionReason[] = []) {
    this.file = join(dataDir, 'suppression.json');
    const saved = readJson<{ suppressed?: unknown; suppressedReasons?: unknown }>(this.file);
    this.reasons = Array.isArray(saved?.suppressedReasons)
      ? saved.suppressedReasons.filter(isReason)
      : [...suppressedReasons];
    for (const entry of Array.isArray(saved?.suppressed) ? saved.suppressed : []) {
      const e = entry as Partial<SuppressedAddress>;
      if (typeof e.EmailAddress === 'string' && isReason(e.Reason))
        this.suppressed.set(e.EmailAddress.toLowerCase(), {
          EmailAddress: e.EmailAddress.toLowerCase(),
          Reason: e.Reason,
          LastUpdateTime: typeof e.LastUpdateTime === 'number' ? e.LastUpdateTime : 0,
        });
    }
  }

  isSuppressed(address: string): boolean {
    return this.suppressed.has(address.trim().toLowerCase());
  }

  /** SES's own addition after a hard bounce or a complaint: only for the reasons the account names. */
  suppress(address: string, reason: SuppressionReason, at = new Date()): void {
    if (this.reasons.includes(reason)) this.put(address, reason, at);
  }

  private put(address: string, reason: SuppressionReason, at = new Date()): void {
    const key = address.trim().toLowerCase();
    this.suppressed.set(key, {
      EmailAddress: key,
      Reason: reason,
      LastUpdateTime: Math.floor(at.getTime() / 1000),
    });
    this.save();
  }

  /** The answer to an SES v2 account or suppression call, or undefined for any other (passed on). */
  answer(method: string, url: string, body: string): SesAnswer | undefined {
    const path = (url.split('?')[0] ?? '/').replace(/\/+$/, '');
    if (method === 'GET' && path === '/v2/email/account')
      return {
        status: 200,
        body: { ...ACCOUNT, SuppressionAttributes: { SuppressedReasons: [...this.reasons] } },
      };
    if (method === 'PUT' && path === '/v2/email/account/suppression') {
      let request: { SuppressedReasons?: unknown };
      try {
        request = JSON.parse(body || '{}');
      } catch {
        return badRequest('The body is not JSON');
      }
      const reasons = Array.isArray(request.SuppressedReasons) ? request.SuppressedReasons : [];
      if (!reasons.every(isReason)) return badRequest('SuppressedReasons must be BOUNCE and/or COMPLAINT');
      this.reasons = [...new Set(reasons)];
      this.save();
      return { status: 200, body: {} };
    }
    const prefix = '/v2/email/suppression/addresses';
    if (path === prefix) {
      if (method === 'GET')
        return {
          status: 200,
          body: {
            SuppressedDestinationSummaries: [...this.suppressed.values()].map((s) => ({ ...s })),
          },
        };
      if (method === 'PUT') {
        let request: { EmailAddress?: unknown; Reason?: unknown };
        try {
          request = JSON.parse(body || '{}');
        } catch {
          return badRequest('The body is not JSON');
        }
        if (typeof request.EmailAddress !== 'string' || !request.EmailAddress.includes('@'))
          return badRequest('EmailAddress is required');
        if (!isReason(request.Reason)) return badRequest('Reason must be BOUNCE or COMPLAINT');
        this.put(request.EmailAddress, request.Reason);
        return { status: 200, body: {} };
      }
      return undefined;
    }
    if (!path.startsWith(`${prefix}/`)) return undefined;
    let address: string;
    try {
      address = decodeURIComponent(path.slice(prefix.length + 1)).toLowerCase();
    } catch {
      return badRequest('The address is not a valid URI component');
    }
    const entry = this.suppressed.get(address);
    if (method === 'GET') {
      if (!entry) return notFound(address);
      return {
        status: 200,
        body: { SuppressedDestination: { ...entry, Attributes: { MessageId: randomUUID() } } },
      };
    }
    if (method === 'DELETE') {
      if (!entry) return notFound(address);
      this.suppressed.delete(address);
      this.save();
      return { status: 200, body: {} };
    }
    return undefined;
  }

  private save(): void {
    writeJson(this.file, { suppressedReasons: this.reasons, suppressed: [...this.suppressed.values()] });
  }
}

/** A production account (out of the sandbox), as GetAccount answers it. */
const ACCOUNT = {
  DedicatedIpAutoWarmupEnabled: false,
  EnforcementStatus: 'HEALTHY',
  ProductionAccessEnabled: true,
  SendingEnabled: true,
  SendQuota: { Max24HourSend: 50_000, MaxSendRate: 14, SentLast24Hours: 0 },
};

const notFound = (address: string): SesAnswer => ({
  status: 404,
  errorType: 'NotFoundException',
  body: { message: `Email address ${address} does not exist on your suppression list.` },
});
const badRequest = (message: string): SesAnswer => ({
  status: 400,
  errorType: 'BadRequestException',
  body: { message },
});
