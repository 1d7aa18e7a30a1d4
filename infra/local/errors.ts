/** An AWS API error as the JSON protocols carry it: `__type` is the code the SDK turns into the error's name. */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** More members of the error's JSON body, as the service sends them (e.g. `Reason`, `Fields`). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/**
 * A task error under its Step Functions name (Retry and Catch match on it). The emulator reads the duck-typed
 * flags: a fatal error (the local target cannot run the state) is neither retried nor caught.
 */
export class StatesError extends Error {
  isRetryable = true;
  isCatchable = true;

  constructor(name: string, cause: string, options: { fatal?: boolean } = {}) {
    super(cause);
    this.name = name;
    if (options.fatal) {
      this.isRetryable = false;
      this.isCatchable = false;
    }
  }
}
