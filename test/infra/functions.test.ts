import { describe, expect, it } from 'vitest';
import { TABLE_ACTIONS } from '../../infra/constructs/function';
import { lambdas, usedLambdas } from '../../shared/app/routes';
import { actionsOf, environmentOf, type Resource, resourcesOf, statementsOf, synth } from './synth';

const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

describe('When the stack is synthesized from the route table', () => {
  const { stack, template, functionId } = synth();
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const tableId = resourcesOf(template, 'AWS::DynamoDB::Table')[0]![0];

  it('creates exactly one function per Lambda the route table uses', () => {
    expect([...stack.functions.keys()].sort()).toEqual(usedLambdas().sort());
    template.resourceCountIs('AWS::Lambda::Function', usedLambdas().length);
  });

  it.each(usedLambdas())('%s runs Node.js 24 on arm64 with the memory and timeout of the table', (name) => {
    expect(resources[functionId(name)]!.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: lambdas[name].memoryMb,
      Timeout: lambdas[name].timeoutSeconds,
      Description: lambdas[name].description,
    });
  });

  it.each(usedLambdas())('%s has source maps turned on at runtime', (name) => {
    expect(environmentOf(template, functionId(name)).NODE_OPTIONS).toBe('--enable-source-maps');
  });

  it.each(usedLambdas())('%s logs to its own log group, kept for a month', (name) => {
    const logging = resources[functionId(name)]!.Properties.LoggingConfig as { LogGroup: { Ref: string } };
    const logGroup = resources[logging.LogGroup.Ref]!;
    expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
    expect(logGroup.Properties.RetentionInDays).toBe(30);
  });

  it('gives every function a log group of its own', () => {
    const groups = usedLambdas().map(
      (name) =>
        (resources[functionId(name)]!.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref,
    );
    expect(new Set(groups).size).toBe(usedLambdas().length);
  });

  it.each(usedLambdas())('%s gets the table access the route table grants it, and no more', (name) => {
    const dynamo = statementsOf(template, functionId(name)).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('dynamodb:')),
    );
    const actions = dynamo.flatMap(actionsOf);
    const env = environmentOf(template, functionId(name));
    switch (lambdas[name].access.table) {
      case 'none':
        expect(dynamo).toEqual([]);
        expect(env.TABLE_NAME).toBeUndefined();
        break;
      case 'read':
        expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
        expect(actions.filter((a) => WRITES.includes(a))).toEqual([]);
        expect(env.TABLE_NAME).toEqual({ Ref: tableId });
        break;
      case 'readwrite':
        expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', ...WRITES]));
        expect(env.TABLE_NAME).toEqual({ Ref: tableId });
        break;
    }
    // No request path scans, and none touches streams or the table's settings.
    expect(actions.filter((a) => !(TABLE_ACTIONS.readwrite as readonly string[]).includes(a))).toEqual([]);
    expect(actions).not.toContain('dynamodb:Scan');
    for (const statement of dynamo)
      expect([statement.Resource].flat()).toEqual([{ 'Fn::GetAtt': [tableId, 'Arn'] }]);
  });
});
