import type { NormalisedAlert } from '../core/alert.ts';
import type { Organisation } from '../core/config.ts';

/** What a source sees of an HTTP request: lower-cased headers and the raw body (signatures cover raw bytes). */
export interface SourceRequest {
  headers: Record<string, string | undefined>;
  rawBody: string;
}

/** A minimal fetch for sources that must reach out (SNS signing certificates, subscription confirmation). */
export type Fetcher = (url: string) => Promise<{ status: number; text(): Promise<string> }>;

export interface SourceContext {
  now: Date;
  organisation: Organisation;
  /** The live credentials of this source (current and, during a rotation, previous). Fetched on demand. */
  secrets(): Promise<readonly string[]>;
  fetch: Fetcher;
}

/**
 * The outcome of authentication. `reason` is for the log only (never returned to the caller) and must not
 * contain secret material. `deliveryId` is a sender-assigned id that must not be processed twice (replay).
 */
export type Verification = { ok: true; deliveryId?: string } | { ok: false; reason: string };

export interface ParseResult {
  alerts: NormalisedAlert[];
  /** An SNS SubscriptionConfirmation for an allowed topic: the handler confirms it by fetching this URL. */
  confirmSubscription?: { url: string; topicArn: string };
  /** Extra fields a sender's own protocol expects in the response (e.g. PagerDuty's dedup_key). */
  reply?: Record<string, unknown>;
}

export interface AlertSource {
  readonly name: string;
  /** Whether the source needs a shared secret in Secrets Manager (SNS authenticates by signature instead). */
  readonly usesSecret: boolean;
  /** SNS posts JSON as text/plain; every other source must send application/json. */
  readonly acceptsTextPlain?: boolean;
  /** Authenticates a request. Never throws on bad input: anything unverifiable is `{ ok: false }`. */
  verify(request: SourceRequest, context: SourceContext): Promise<Verification>;
  /** Parses a JSON body into alerts; throws only ValidationError, naming the problem. */
  parse(body: unknown, context: SourceContext): ParseResult;
}
