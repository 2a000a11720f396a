import { Annotations, App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { settingsFromContext } from './context';
import { SwitchboardStack } from './stack';

/**
 * `npx cdk synth` works offline with no context at all (placeholder issuer, with a warning);
 * deploy with `-c issuer=https://… -c audience=…` (see infra/context.ts for every setting).
 */
const app = new App();
const { stackName, props, placeholderAuth } = settingsFromContext(app.node);
const stack = new SwitchboardStack(app, stackName, {
  ...props,
  description: 'Switchboard: serverless realtime messaging (WebSocket + HTTP APIs, Lambda, DynamoDB)',
  // Environment-agnostic unless the CLI knows an account and region: synth needs no credentials.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
if (placeholderAuth) {
  Annotations.of(stack).addWarningV2(
    'switchboard:placeholder-issuer',
    'No issuer or audience given: the JWT authorizers use placeholder values and would refuse every token. ' +
      'Set -c issuer=https://… -c audience=… before deploying (cdk deploy --strict refuses to deploy with this warning).',
  );
}
// cdk-nag on every synth (and so every deploy): a finding that is neither fixed nor acknowledged on its
// construct, with a reason, stops synthesis. test/infra/nag.test.ts runs the same packs.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
app.synth();
