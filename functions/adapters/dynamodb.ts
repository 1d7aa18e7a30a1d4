import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDbRetries, PerCallRetryStrategy } from './retry.ts';

/** One document client per execution environment, created at module load (reused across invocations). */
export const documentClient = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    maxAttempts: dynamoDbRetries.maxAttempts,
    retryStrategy: new PerCallRetryStrategy(dynamoDbRetries),
  }),
  {
    marshallOptions: { removeUndefinedValues: true },
  },
);

export function tableName(): string {
  const name = process.env.TABLE_NAME;
  if (!name) throw new Error('TABLE_NAME is not set: bind the table to this function');
  return name;
}
