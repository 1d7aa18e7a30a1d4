import { PayloadTooLargeError } from '../core/errors.ts';
import { formTooLargeResponse, type PageResponse } from '../core/html/page.ts';
import type { LinkMeta, LinkQuery } from '../use-cases/links/kind.ts';
import { formBody, type HttpEvent } from './http.ts';

/**
 * The editor's whole template fits well within this; anything larger is refused before it is read. The same at
 * `/links/{token}`: a save posted to an editor link's old address is redirected (307) with its body.
 */
const FORM_MAX_BYTES = 512 * 1024;

/** What a request to a signed link carries (`/links/{token}`, `/links/{token}/edit`). */
export type LinkRequest =
  /** A GET: the query is read by the kinds that show something after a redirect (the editor's `?saved=`). */
  | { kind: 'view'; token: string; query: LinkQuery }
  /** A POST: its form fields, and who sent it (recorded where a decision keeps it). */
  | { kind: 'post'; token: string; form: URLSearchParams; meta: LinkMeta }
  /** A POST over the limit, answered with its page before anything is read. */
  | { kind: 'too-large'; response: PageResponse };

/**
 * Reads a link request. The token is the credential: nothing here logs it, the event or the path (the access
 * log records the route key only).
 */
export function linkRequest(event: HttpEvent): LinkRequest {
  const token = event.pathParameters?.token ?? '';
  if (event.requestContext.http.method.toUpperCase() !== 'POST') {
    return { kind: 'view', token, query: event.queryStringParameters ?? {} };
  }
  let form: URLSearchParams;
  try {
    form = formBody(event, FORM_MAX_BYTES);
  } catch (error) {
    if (error instanceof PayloadTooLargeError)
      return { kind: 'too-large', response: formTooLargeResponse(FORM_MAX_BYTES) };
    throw error;
  }
  const userAgent = event.headers?.['user-agent'];
  return {
    kind: 'post',
    token,
    form,
    meta: { ...(userAgent ? { userAgent } : {}), sourceIp: event.requestContext.http.sourceIp },
  };
}
