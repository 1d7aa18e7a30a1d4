import type { NormalisedAlert } from '../core/alert.ts';

/** What a source sees of an HTTP request: lower-cased headers and the raw body (signatures cover raw bytes). */
export interface SourceRequest {
  headers: Record<string, string | undefined>;
  rawBody: string;
}

export interface AlertSource {
  readonly name: string;
  /** True when the request carries a live credential of this source. Never throws on bad input. */
  verify(request: SourceRequest, liveSecrets: readonly string[]): boolean;
  /** Parses a JSON body into alerts; throws ValidationError naming the problem. */
  parse(body: unknown, receivedAt: string): NormalisedAlert[];
}
