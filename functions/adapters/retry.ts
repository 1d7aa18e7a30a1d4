import type { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from '@smithy/types';

export interface RetryPolicy {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  /** Full-jitter exponential backoff: attempt n waits random(0, min(cap, base * 2^n)). */
  baseDelayMs: number;
  throttlingBaseDelayMs: number;
  maxDelayMs: number;
}

/** DynamoDB answers in milliseconds: the waits start short (a 25 ms base) and stay within a Lambda timeout. */
export const dynamoDbRetries: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 25,
  throttlingBaseDelayMs: 250,
  maxDelayMs: 2_000,
};

export const stepFunctionsRetries: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 50,
  throttlingBaseDelayMs: 500,
  maxDelayMs: 2_000,
};

/**
 * The SDK's standard retry mode (transient and throttling errors, full-jitter exponential backoff, a bounded
 * number of attempts) without its client-wide retry quota. That quota is a circuit breaker for long-lived
 * processes: each retry costs 14 tokens of 500 and only a success refunds them, so a conditional write whose
 * reply was lost (its retry fails the condition against itself) never pays back. In a storm with failing
 * calls the quota runs dry and every later call of the execution environment fails on its first error,
 * including the idempotent steps an ingest needs to finish. Here every call gets its own bounded retries, and
 * the bound (attempts x capped delay) keeps a call within the function's timeout.
 */
export class PerCallRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'standard';

  constructor(
    private readonly policy: RetryPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  async acquireInitialRetryToken(): Promise<StandardRetryToken> {
    return token(0, 0);
  }

  async refreshRetryTokenForRetry(
    previous: StandardRetryToken,
    errorInfo: RetryErrorInfo,
  ): Promise<StandardRetryToken> {
    const retries = previous.getRetryCount();
    const retryable = errorInfo.errorType === 'TRANSIENT' || errorInfo.errorType === 'THROTTLING';
    if (!retryable || retries + 1 >= this.policy.maxAttempts) {
      // The SDK rethrows the call's own error when no token is given.
      throw new Error('No retry token available');
    }
    const base =
      errorInfo.errorType === 'THROTTLING' ? this.policy.throttlingBaseDelayMs : this.policy.baseDelayMs;
    const ceiling = Math.min(this.policy.maxDelayMs, base * 2 ** retries);
    return token(retries + 1, Math.floor(this.random() * ceiling));
  }

  recordSuccess(): void {}
}

function token(count: number, delay: number): StandardRetryToken {
  return {
    getRetryCount: () => count,
    getRetryDelay: () => delay,
    getRetryCost: () => undefined,
  };
}
