import { randomBytes } from 'node:crypto';
import type { Json } from './asl.ts';
import { ServiceError, StatesError } from './errors.ts';
import { MAX_TIMER_MS } from './timers.ts';

/**
 * Task tokens for `.waitForTaskToken` states, which the emulator lacks: each wait gets a fresh token, and
 * SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat settle it with the errors Step Functions answers (a token
 * used, timed out or from a stopped execution gets TaskTimedOut, as on AWS).
 */

export interface PendingTask {
  token: string;
  executionArn: string;
  stateName: string;
}

interface Wait extends PendingTask {
  resolve: (output: Json) => void;
  reject: (error: Error) => void;
  heartbeatMs?: number;
  heartbeatTimer?: NodeJS.Timeout;
}

/**
 * `AQ`, 48 random bytes, then the issuing execution's ARN (base64url): opaque to callers as AWS's are, yet the
 * emulator knows the execution of any token it issued, before a restart too (IAM authorises the callback against
 * that execution's state machine, as AWS does). At most 2,048 characters, AWS's bound.
 */
const TOKEN_FORMAT = /^AQ[A-Za-z0-9_-]{64}\.[A-Za-z0-9_-]{1,1900}$/;

function newToken(executionArn: string): string {
  return `AQ${randomBytes(48).toString('base64url')}.${Buffer.from(executionArn).toString('base64url')}`;
}

function executionInToken(token: string): string | undefined {
  if (!TOKEN_FORMAT.test(token)) return undefined;
  const arn = Buffer.from(token.slice(token.indexOf('.') + 1), 'base64url').toString('utf8');
  return arn.startsWith('arn:') ? arn : undefined;
}

export class TaskTokens {
  private readonly waits = new Map<string, Wait>();
  /** Tokens no longer waiting, with the execution that issued them (a late callback is told, and authorised). */
  private readonly closed = new Map<string, string>();

  /**
   * A new token and the promise its callback settles; `close` retires it (task ended, timed out or retried).
   * `reuse` is the token of the same wait before a restart: the wait goes on with it, as on AWS, where the
   * execution never stopped and the token its callers hold stays good.
   */
  issue(
    executionArn: string,
    stateName: string,
    heartbeatMs: number | undefined,
    signal: AbortSignal,
    reuse?: string,
  ): { token: string; settled: Promise<Json>; close: () => void } {
    const token =
      reuse && executionInToken(reuse) === executionArn && !this.waits.has(reuse)
        ? reuse
        : newToken(executionArn);
    this.closed.delete(token);
    let wait: Wait | undefined;
    const settled = new Promise<Json>((resolve, reject) => {
      wait = {
        token,
        executionArn,
        stateName,
        resolve,
        reject,
        ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
      };
      signal.addEventListener('abort', () => reject(new StatesError('Local.Aborted', 'execution stopped')), {
        once: true,
      });
    });
    settled.catch(() => undefined);
    const registered = wait as unknown as Wait;
    this.waits.set(token, registered);
    this.armHeartbeat(registered);
    return { token, settled, close: () => this.close(registered) };
  }

  succeed(token: string | undefined, output: string | undefined): void {
    const wait = this.find(token);
    let parsed: Json;
    try {
      parsed = JSON.parse(output ?? '') as Json;
    } catch {
      throw new ServiceError('InvalidOutput', 'Invalid Output: the output is not valid JSON');
    }
    this.close(wait);
    wait.resolve(parsed);
  }

  fail(token: string | undefined, error?: string, cause?: string): void {
    const wait = this.find(token);
    this.close(wait);
    wait.reject(new StatesError(error ?? 'States.TaskFailed', cause ?? ''));
  }

  heartbeat(token: string | undefined): void {
    this.armHeartbeat(this.find(token));
  }

  pending(executionArn?: string): PendingTask[] {
    return [...this.waits.values()]
      .filter((w) => !executionArn || w.executionArn === executionArn)
      .map(({ token, executionArn: arn, stateName }) => ({ token, executionArn: arn, stateName }));
  }

  /** The execution that issued a token, waiting or not (IAM authorises a callback against its state machine). */
  executionOf(token: string): string | undefined {
    return this.waits.get(token)?.executionArn ?? this.closed.get(token) ?? executionInToken(token);
  }

  closeExecution(executionArn: string): void {
    for (const wait of [...this.waits.values()]) if (wait.executionArn === executionArn) this.close(wait);
  }

  closeAll(): void {
    for (const wait of [...this.waits.values()]) this.close(wait);
  }

  private find(token: string | undefined): Wait {
    if (!token || !TOKEN_FORMAT.test(token)) throw new ServiceError('InvalidToken', 'Invalid Token');
    const wait = this.waits.get(token);
    if (wait) return wait;
    if (this.closed.has(token)) {
      throw new ServiceError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    }
    throw new ServiceError('TaskDoesNotExist', 'Task Does Not Exist');
  }

  private close(wait: Wait): void {
    clearTimeout(wait.heartbeatTimer);
    this.waits.delete(wait.token);
    this.closed.set(wait.token, wait.executionArn);
  }

  private armHeartbeat(wait: Wait): void {
    clearTimeout(wait.heartbeatTimer);
    if (wait.heartbeatMs === undefined) return;
    wait.heartbeatTimer = setTimeout(
      () => {
        this.close(wait);
        wait.reject(
          new StatesError('States.HeartbeatTimeout', `State ${wait.stateName} missed its heartbeat`),
        );
      },
      Math.min(wait.heartbeatMs, MAX_TIMER_MS),
    );
  }
}
