import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type CfnRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { SERVER_LIBRARY_TABLE_ACTIONS, SwitchboardStack } from '../../infra/stack';
import {
  actionsOf,
  cdkJsonContext,
  flatten,
  type PolicyStatementJson,
  resourcesOf,
  VALID_PROPS,
} from './synth';

describe('When a role outside Switchboard is granted publishing (the server library)', () => {
  const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
  const stack = new SwitchboardStack(app, 'Test', VALID_PROPS);
  const worker = new Role(stack, 'Worker', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  stack.grantPublish(worker);
  const template = Template.fromStack(stack);
  const workerId = stack.getLogicalId(worker.node.defaultChild as CfnRole);
  const statements = resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${workerId}"`))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: PolicyStatementJson[] }).Statement);
  const [tableId] = resourcesOf(template, 'AWS::DynamoDB::Table')[0]!;
  const [wsApiId] = resourcesOf(template, 'AWS::ApiGatewayV2::Api').find(
    ([, api]) => api.Properties.ProtocolType === 'WEBSOCKET',
  )!;

  it('may do to the table what a publish does, and no Scan', () => {
    const onTable = statements.filter((s) => JSON.stringify(s.Resource).includes(`"${tableId}"`));
    expect(onTable.flatMap(actionsOf).sort()).toEqual([...SERVER_LIBRARY_TABLE_ACTIONS].sort());
  });

  it('may send to the fan-out queue (SendMessage only), as the stack’s own publishers may', () => {
    const fanOut = stack.queues.get('fan-out')!;
    const queueId = stack.getLogicalId(fanOut.queue.node.defaultChild as CfnQueue);
    const onQueues = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    expect(onQueues.map((s) => [actionsOf(s), s.Resource])).toEqual([
      [['sqs:SendMessage'], { 'Fn::GetAtt': [queueId, 'Arn'] }],
    ]);
  });

  it('may post to (and delete) the connections of this stage only', () => {
    const manage = statements.filter((s) => actionsOf(s).includes('execute-api:ManageConnections'));
    expect(manage).toHaveLength(1);
    expect(flatten(manage[0]!.Resource)).toBe(
      `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${wsApiId}}/prod/*/@connections/*`,
    );
  });
});
