import { RemovalPolicy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { table } from '../../shared/adapters/dynamo/table';
import { synth, VALID_PROPS } from './synth';

describe('When the stack is synthesized with the default table', () => {
  const { template } = synth();

  it('has one on-demand table keyed and expiring as shared/adapters/dynamo/table.ts says', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: table.partitionKey, KeyType: 'HASH' },
        { AttributeName: table.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: table.partitionKey, AttributeType: 'S' },
        { AttributeName: table.sortKey, AttributeType: 'S' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('keeps the table when it leaves the stack', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('outputs the table name', () => {
    const tableId = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0]!;
    template.hasOutput('TableName', { Value: { Ref: tableId } });
  });
});

describe('When the table removal policy is DESTROY', () => {
  const { template } = synth({ ...VALID_PROPS, tableRemovalPolicy: RemovalPolicy.DESTROY });

  it('deletes the table with the stack', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    expect(template.findResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' })).toEqual({});
  });
});
