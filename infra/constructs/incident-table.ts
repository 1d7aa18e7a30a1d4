import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

export interface IncidentTableProps {
  /**
   * Keep the table (and block its deletion) when the stack goes away. Incidents and postmortems are records
   * a team must not lose to a `cdk destroy`; only throw-away dev stacks turn this off.
   * @default true
   */
  readonly retainData?: boolean;
}

const string = dynamodb.AttributeType.STRING;

/**
 * The single table. Key shapes live in the functions' keys module; here only the generic names exist. The
 * GSIs are sparse: an item is indexed only when it carries that index's key attributes.
 */
export class IncidentTable extends dynamodb.Table {
  static readonly indexes = { gsi1: 'gsi1', gsi2: 'gsi2', gsi3: 'gsi3' } as const;

  constructor(scope: Construct, id: string, props: IncidentTableProps = {}) {
    const retain = props.retainData ?? true;
    super(scope, id, {
      partitionKey: { name: 'pk', type: string },
      sortKey: { name: 'sk', type: string },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // DynamoDB deletes expired items up to days late (and the local database never does), so code checks
      // expiry itself; TTL only keeps the table from growing.
      timeToLiveAttribute: 'expiresAt',
      // The stream hands each new report run to its runner (infra/constructs/report-runs.ts). Keys only: the
      // runner reads the run from the table, and the stream (24 hours of every change) carries no item content.
      // A stream costs nothing by itself, and Lambda's reads of it are free.
      stream: dynamodb.StreamViewType.KEYS_ONLY,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      deletionProtection: retain,
    });
    for (const name of Object.values(IncidentTable.indexes)) {
      this.addGlobalSecondaryIndex({
        indexName: name,
        partitionKey: { name: `${name}pk`, type: string },
        sortKey: { name: `${name}sk`, type: string },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
