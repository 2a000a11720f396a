import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { SwitchboardStack, type SwitchboardStackProps } from '../../infra/stack';
import type { LambdaName } from '../../shared/app/routes';

/** The feature flags of cdk.json, so the tests see the template `cdk synth` produces. */
export const cdkJsonContext: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context;

/** Props that make a valid stack: an issuer and audience, as a deployment needs. */
export const VALID_PROPS = {
  issuer: 'https://auth.example.com/realms/switchboard',
  audience: ['switchboard'],
} as const satisfies SwitchboardStackProps;

export interface Synthesized {
  stack: SwitchboardStack;
  template: Template;
  /** The logical id of the function the route table names. */
  functionId(name: LambdaName): string;
}

/**
 * One stack, synthesized without bundling: `aws:cdk:bundling-stacks: []` skips esbuild, so a template takes
 * a fraction of a second. (test/infra/bundling.test.ts is the one place that really bundles.)
 */
export function synth(props: SwitchboardStackProps = VALID_PROPS): Synthesized {
  const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
  const stack = new SwitchboardStack(app, 'Test', props);
  const template = Template.fromStack(stack);
  return {
    stack,
    template,
    functionId(name) {
      const fn = stack.functions.get(name);
      if (!fn) throw new Error(`no function ${name} in the stack`);
      return Stack.of(fn).getLogicalId(fn.function.node.defaultChild as CfnFunction);
    },
  };
}

/** Resources of one type, by logical id. */
export function resourcesOf(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}

export interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

/** Does a value (a Ref, a GetAtt, a list of them …) name this resource anywhere inside? */
export const mentions = (value: unknown, logicalId: string): boolean =>
  JSON.stringify(value).includes(`"${logicalId}"`);

/**
 * A CloudFormation string expression as text: `Fn::Join` parts joined, `Ref` as `${Id}`, `Fn::GetAtt` as
 * `${Id.Attr}`. So an ARN or URL can be compared as a whole.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.Ref === 'string') return `\${${o.Ref}}`;
    if (Array.isArray(o['Fn::GetAtt'])) return `\${${(o['Fn::GetAtt'] as string[]).join('.')}}`;
    if (Array.isArray(o['Fn::Join'])) {
      const [separator, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(separator);
    }
  }
  throw new Error(`not a string expression: ${JSON.stringify(value)}`);
}

/** The IAM policy statements attached to a function's role. */
export function statementsOf(template: Template, functionId: string): PolicyStatementJson[] {
  const fn = template.toJSON().Resources[functionId] as Resource;
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, p]) => mentions(p.Properties.Roles, roleId))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: PolicyStatementJson[] }).Statement);
}

export interface PolicyStatementJson {
  Action: string | string[];
  Effect: string;
  Resource: unknown;
}

export const actionsOf = (s: PolicyStatementJson): string[] =>
  Array.isArray(s.Action) ? s.Action : [s.Action];

/** The environment variables of a function. */
export function environmentOf(template: Template, functionId: string): Record<string, unknown> {
  const fn = template.toJSON().Resources[functionId] as Resource;
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

/** The alarms of a template by their name without the stack prefix (`ws-message-errors`). */
export function alarmsByName(template: Template, stackName: string): Map<string, Record<string, unknown>> {
  return new Map(
    resourcesOf(template, 'AWS::CloudWatch::Alarm').map(([, a]) => [
      String(a.Properties.AlarmName).replace(`${stackName}-`, ''),
      a.Properties,
    ]),
  );
}
