import { describe, expect, it } from 'vitest';
import { schedules, usedLambdas } from '../../shared/app/routes';
import { synth, VALID_PROPS } from './synth';

describe("When the stack uses the route table's schedules", () => {
  const { template } = synth();

  it('has one EventBridge rule per schedule', () => {
    template.resourceCountIs('AWS::Events::Rule', schedules.length);
  });
});

describe('When a one-minute schedule is passed in', () => {
  const { template, functionId } = synth({
    ...VALID_PROPS,
    schedules: [{ name: 'test-tick', lambda: 'http-health', everyMinutes: 1 }],
  });
  const ruleId = Object.keys(template.findResources('AWS::Events::Rule'))[0]!;

  it('creates a rule firing every minute that targets its Lambda', () => {
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [functionId('http-health'), 'Arn'] },
          Id: 'Target0',
          RetryPolicy: { MaximumRetryAttempts: 0 },
        },
      ],
    });
  });

  it('lets EventBridge invoke that Lambda for that rule only', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [functionId('http-health'), 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
  });

  it('creates no extra function for it', () => {
    template.resourceCountIs('AWS::Lambda::Function', usedLambdas().length);
  });
});

describe('When a schedule runs every 5 minutes', () => {
  const { template } = synth({
    ...VALID_PROPS,
    schedules: [{ name: 'slow', lambda: 'http-channels', everyMinutes: 5 }],
  });

  it('says rate(5 minutes)', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });
});

describe('When a schedule has no whole number of minutes', () => {
  it('refuses to build the stack', () => {
    expect(() =>
      synth({ ...VALID_PROPS, schedules: [{ name: 'never', lambda: 'http-health', everyMinutes: 0.5 }] }),
    ).toThrow(/schedule never: everyMinutes must be a whole number ≥ 1, got 0.5/);
  });
});
