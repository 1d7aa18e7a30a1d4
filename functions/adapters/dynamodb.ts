import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { boundEnv } from './capabilities.ts';
import { dynamoDbRetries, PerCallRetryStrategy } from './retry.ts';

/** How items are marshalled; exported so that tests marshal alert data exactly as the functions write it. */
export const marshallOptions = {
  removeUndefinedValues: true,
  // The SDK tells a map by its `constructor`: an alert label named so would otherwise fail the write (500).
  convertClassInstanceToMap: true,
} as const;

/** One document client per execution environment, created at module load (reused across invocations). */
export const documentClient = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    maxAttempts: dynamoDbRetries.maxAttempts,
    retryStrategy: new PerCallRetryStrategy(dynamoDbRetries),
  }),
  { marshallOptions },
);

export function tableName(): string {
  return boundEnv('TABLE_NAME', 'table');
}
