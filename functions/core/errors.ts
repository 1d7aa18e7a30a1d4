/**
 * Named errors the handlers map to HTTP status codes in one place (handlers/http-errors.ts).
 * The code is machine-readable and stable; the message names the problem for a person.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
}

export class ValidationError extends DomainError {
  override name = 'ValidationError';
  readonly status = 400;
  readonly code = 'ValidationError';
}

export class UnauthorizedError extends DomainError {
  override name = 'UnauthorizedError';
  readonly status = 401;
  readonly code = 'Unauthorized';
  constructor() {
    // Deliberately generic: the reason a credential failed is logged, never returned.
    super('missing or invalid credentials');
  }
}

export class NotFoundError extends DomainError {
  override name = 'NotFoundError';
  readonly status = 404;
  readonly code = 'NotFound';
}

export class ConflictError extends DomainError {
  override name = 'ConflictError';
  readonly status = 409;
  readonly code = 'Conflict';
}

/** An Idempotency-Key sent again with a different request: the key names what it first asked for. */
export class IdempotencyKeyReusedError extends DomainError {
  override name = 'IdempotencyKeyReusedError';
  readonly status = 422;
  readonly code = 'IdempotencyKeyReused';
}

export class PayloadTooLargeError extends DomainError {
  override name = 'PayloadTooLargeError';
  readonly status = 413;
  readonly code = 'PayloadTooLarge';
}

export class UnsupportedMediaTypeError extends DomainError {
  override name = 'UnsupportedMediaTypeError';
  readonly status = 415;
  readonly code = 'UnsupportedMediaType';
}

/** The same thing was asked too soon after the last time: the message says when it may be asked again. */
export class TooManyRequestsError extends DomainError {
  override name = 'TooManyRequestsError';
  readonly status = 429;
  readonly code = 'TooManyRequests';
  /** Whole seconds until it may be asked again (the response's Retry-After), when known. */
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, retryAfterSeconds?: number) {
    super(message);
    this.retryAfterSeconds =
      retryAfterSeconds === undefined ? undefined : Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** A dependency was briefly unavailable or another request holds the work: the sender should retry. */
export class RetryableError extends DomainError {
  override name = 'RetryableError';
  readonly status = 503;
  readonly code = 'RetryLater';
}

/** An edit named a version that is no longer the current one: reload, merge, save again. */
export class PreconditionFailedError extends DomainError {
  override name = 'PreconditionFailedError';
  readonly status = 412;
  readonly code = 'PreconditionFailed';
}

/**
 * SES refused a mail for good (`MessageRejected`: an unverified recipient while the account is in the sandbox, a
 * sender not verified; the account's sending paused or suspended): sending it again would not help. Not a
 * DomainError: where nothing catches it, it fails as any error does; a test page says it per channel.
 */
export class MailRefusedError extends Error {
  override name = 'MailRefusedError';
  constructor(
    /** SES's error name, e.g. `MessageRejected`. */
    readonly detail: string,
    message: string,
  ) {
    super(message);
  }
}
