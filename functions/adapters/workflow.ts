import {
  DescribeExecutionCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { ResumeOutput } from '../core/workflow-resume.ts';
import { PerCallRetryStrategy, stepFunctionsRetries } from './retry.ts';

const sfn = new SFNClient({
  maxAttempts: stepFunctionsRetries.maxAttempts,
  retryStrategy: new PerCallRetryStrategy(stepFunctionsRetries),
});

export interface WorkflowInput {
  incidentId: string;
  key: string;
  /** Where the execution begins: absent for an incident's own, `postmortem` for a postmortem started alone. */
  phase?: 'postmortem';
}

/** An incident's execution is named after its key; a postmortem started alone after `<key>-postmortem`. */
export function executionNameOf(input: WorkflowInput): string {
  return input.phase ? `${input.key}-${input.phase}` : input.key;
}

export interface WorkflowStarter {
  /** Starts the incident's execution, named after its key. Idempotent: a second call starts nothing. */
  start(input: WorkflowInput): Promise<{ executionArn: string; alreadyStarted: boolean }>;
}

/** Starts executions and finds the one an incident has. */
export interface WorkflowExecutions extends WorkflowStarter {
  /** The incident's execution, if one was started (whatever its status now). */
  find(input: WorkflowInput): Promise<{ executionArn: string; status: string } | undefined>;
}

export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

function boundStateMachine(): string {
  const stateMachineArn = process.env.STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error('STATE_MACHINE_ARN is not set: bind the state machine');
  return stateMachineArn;
}

export function stepFunctionsStarter(): WorkflowExecutions {
  return {
    async find(input) {
      const executionArn = executionArnFor(boundStateMachine(), input.key);
      try {
        const result = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return { executionArn, status: result.status ?? 'UNKNOWN' };
      } catch (error) {
        if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
        throw error;
      }
    },
    async start(input) {
      const stateMachineArn = boundStateMachine();
      try {
        // Same name + same input is idempotent for Standard workflows while the execution runs.
        const name = executionNameOf(input);
        const result = await sfn.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
        );
        return {
          executionArn: result.executionArn ?? executionArnFor(stateMachineArn, name),
          alreadyStarted: false,
        };
      } catch (error) {
        // The name is the incident key, so an existing execution of that name is this incident's.
        if (error instanceof Error && error.name === 'ExecutionAlreadyExists') {
          return {
            executionArn: executionArnFor(stateMachineArn, executionNameOf(input)),
            alreadyStarted: true,
          };
        }
        throw error;
      }
    },
  };
}

export interface WorkflowCallback {
  /**
   * Resumes a waiting task. False when the token is no longer waiting (already resumed, timed out, or its
   * execution ended): the caller's change is recorded either way, and the workflow reads it when it next looks.
   */
  resume(taskToken: string, output: ResumeOutput): Promise<boolean>;
}

const FINISHED_TOKEN_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export function stepFunctionsCallback(): WorkflowCallback {
  return {
    async resume(taskToken, output) {
      try {
        await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
        return true;
      } catch (error) {
        if (error instanceof Error && FINISHED_TOKEN_ERRORS.has(error.name)) return false;
        throw error;
      }
    },
  };
}
