import {
  DescribeExecutionCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { executionNameOf } from '../core/executions.ts';
import type { WorkflowCallback, WorkflowExecutions, WorkflowStarter } from '../use-cases/ports.ts';
import { boundEnv, port } from './capabilities.ts';
import { PerCallRetryStrategy, stepFunctionsRetries } from './retry.ts';

const sfn = new SFNClient({
  maxAttempts: stepFunctionsRetries.maxAttempts,
  retryStrategy: new PerCallRetryStrategy(stepFunctionsRetries),
});

export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export function stepFunctionsStarter(): WorkflowStarter {
  return {
    async start(input) {
      const stateMachineArn = boundEnv('STATE_MACHINE_ARN', 'workflow:start');
      try {
        // Same name + same input is idempotent for Standard workflows while the execution runs.
        const name = executionNameOf(input);
        const { name: _name, ...executionInput } = input;
        const result = await sfn.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(executionInput) }),
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

export function stepFunctionsExecutions(): WorkflowExecutions {
  return {
    async find(input) {
      const stateMachineArn = boundEnv('STATE_MACHINE_ARN', 'workflow:executions');
      const executionArn = executionArnFor(stateMachineArn, executionNameOf(input));
      try {
        const result = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return { executionArn, status: result.status ?? 'UNKNOWN' };
      } catch (error) {
        if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
        throw error;
      }
    },
  };
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

export const workflowStarterPort = port('workflow:start', stepFunctionsStarter);
export const workflowExecutionsPort = port('workflow:executions', stepFunctionsExecutions);
export const workflowCallbackPort = port('workflow:callback', stepFunctionsCallback);
