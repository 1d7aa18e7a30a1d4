import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HotlineStack } from '../../infra/hotline-stack.ts';
import { logicalId, synthesized, synthesizedWithContext } from './stack.ts';

describe('incident table', () => {
  let stack: HotlineStack;
  let template: Template;
  beforeAll(async () => {
    ({ stack, template } = await synthesized());
  });

  it('has generic string keys pk/sk and is on-demand', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
    });
  });

  it('has the sparse GSIs gsi1, gsi2 and gsi3 with string keys and projection ALL', () => {
    const table = template.findResources('AWS::DynamoDB::Table')[logicalId(stack.table)];
    const indexes = table?.Properties.GlobalSecondaryIndexes;
    expect(indexes).toEqual(
      ['gsi1', 'gsi2', 'gsi3'].map((name) => ({
        IndexName: name,
        KeySchema: [
          { AttributeName: `${name}pk`, KeyType: 'HASH' },
          { AttributeName: `${name}sk`, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    );
    for (const attribute of ['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk']) {
      expect(table?.Properties.AttributeDefinitions).toContainEqual({
        AttributeName: attribute,
        AttributeType: 'S',
      });
    }
  });

  it('has point-in-time recovery, encryption and TTL on expiresAt', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('is retained and protected from deletion by default', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
  });

  it('is destroyed with a dev stack synthesized with retainData=false', async () => {
    for (const value of ['false', false]) {
      const dev = await synthesizedWithContext({ retainData: value });
      dev.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Delete',
        Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      });
    }
  });
});
