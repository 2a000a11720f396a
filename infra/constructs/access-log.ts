import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { type IAccessLogSettings, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * An API stage's access log: a log group of its own (`AccessLogs`, destroyed with the stack, its retention
 * bounding it meanwhile) and one JSON object per request with `fields` (name → `$context` variable).
 * API Gateway writes `-` for a variable it has no value for, so every value is a quoted string.
 */
export function jsonAccessLog(
  scope: Construct,
  fields: Readonly<Record<string, string>>,
  retention: RetentionDays = RetentionDays.ONE_MONTH,
): { logGroup: LogGroup; settings: IAccessLogSettings } {
  const logGroup = new LogGroup(scope, 'AccessLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });
  return {
    logGroup,
    settings: {
      destination: new LogGroupLogDestination(logGroup),
      format: AccessLogFormat.custom(JSON.stringify(fields)),
    },
  };
}
