import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { bundlingOptions, TARGETS } from '../../bench/lambdas';
import { projectRoot } from '../../infra/project';
import { SwitchboardStack } from '../../infra/stack';
import { asyncInvocations, type LambdaName, lambdas, usedLambdas } from '../../shared/app/routes';
import { cdkJsonContext, environmentOf, type Resource, VALID_PROPS } from './synth';

const OPTIONAL_SDK_ADDONS = ['@aws-sdk/signature-v4-crt', '@aws-sdk/signature-v4a'];
const NODE_MODULE = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//;

/**
 * The one suite that really bundles: every handler through the local esbuild, as `cdk synth` does, and then
 * two of the bundles loaded in a fresh Node process and invoked, to prove the ESM output runs.
 */
describe('When the handlers are really bundled', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-bundle-'));
  const app = new App({ outdir, context: cdkJsonContext });
  const stack = new SwitchboardStack(app, 'Bundled', VALID_PROPS);
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const functionIdOf = (name: LambdaName) =>
    stack.getLogicalId(stack.functions.get(name)!.function.node.defaultChild as CfnFunction);
  const bundleOf = (name: LambdaName) => {
    const fn = template.toJSON().Resources[functionIdOf(name)] as Resource;
    const key = (fn.Properties.Code as { S3Key: string }).S3Key;
    return path.join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
  };

  /** Imports a bundle in a new Node process with the function's literal environment and calls its handler. */
  async function invoke(name: LambdaName, event: unknown): Promise<unknown> {
    const env = Object.fromEntries(
      Object.entries(environmentOf(template, functionIdOf(name))).filter(([, v]) => typeof v === 'string'),
    ) as Record<string, string>;
    const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(bundleOf(name)).href)});
      process.stdout.write(JSON.stringify(await handler(${JSON.stringify(event)})));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'eu-west-1',
        NODE_NO_WARNINGS: '1',
        LOG_LEVEL: 'ERROR',
        ...env,
      },
    });
    return JSON.parse(stdout);
  }

  it.each(usedLambdas())('bundles %s into one ESM file with its source map', (name) => {
    const bundle = bundleOf(name);
    expect(existsSync(bundle)).toBe(true);
    expect(existsSync(`${bundle}.map`)).toBe(true);
    expect(statSync(bundle).size).toBeLessThan(3 * 1024 * 1024);
  });

  it.each(usedLambdas())('bundles the AWS SDK into %s instead of importing the runtime copy', (name) => {
    const code = readFileSync(bundleOf(name), 'utf8');
    const imported = [...code.matchAll(/(?:from\s*|require\(|import\()["'](@aws-sdk\/[^"']+)["']/g)].map(
      (m) => m[1],
    );
    // The SDK's optional SigV4a / CRT signers stay behind a try-require, as in any bundle; nothing else.
    expect(imported.filter((pkg) => !OPTIONAL_SDK_ADDONS.includes(pkg!))).toEqual([]);
  });

  /** The files with code in a bundle: the `sources` of its source map (esbuild lists what it emitted). */
  const sourcesIn = (name: LambdaName): string[] =>
    (JSON.parse(readFileSync(`${bundleOf(name)}.map`, 'utf8')) as { sources: string[] }).sources;
  const packagesIn = (name: LambdaName): Set<string> =>
    new Set(sourcesIn(name).map((s) => NODE_MODULE.exec(s)?.[1] ?? '(project)'));

  // Issue 15's budgets: the authorizer runs before every handshake, and every function's cold start
  // grows with its bundle. docs/performance.md has the sizes and import times these keep.
  it.each(usedLambdas())('keeps %s within its size budget', (name) => {
    const maxKb = name === 'ws-authorizer' ? TARGETS.authorizerKb : TARGETS.functionKb;
    expect(statSync(bundleOf(name)).size / 1024).toBeLessThanOrEqual(maxKb);
  });

  /** Whether our own source `file` (from the project's root) has code in the bundle. */
  const hasSource = (name: LambdaName, file: string): boolean =>
    sourcesIn(name).some((s) => !NODE_MODULE.test(s) && s.endsWith(`/${file}`));

  it.each(usedLambdas())(
    'bundles into %s the AWS clients its access in the route table allows, and no other',
    (name) => {
      const { access } = lambdas[name];
      expect({
        dynamodb: hasSource(name, 'shared/adapters/dynamo/document-client.ts'),
        managementApi: hasSource(name, 'shared/adapters/management-api/client.ts'),
        lambda: hasSource(name, 'shared/adapters/lambda.ts'),
        sqs: hasSource(name, 'shared/adapters/sqs/fan-out-queue.ts'),
      }).toEqual({
        dynamodb: access.table !== 'none',
        managementApi: access.manageConnections,
        lambda: asyncInvocations.some((i) => i.from === name),
        sqs: access.fanOutQueue,
      });
    },
  );

  // Issue 15: every AWS service is signed requests of the lean AWS base (shared/adapters/aws/), DynamoDB through
  // our document client: no SDK at all (its clients, lib-dynamodb, @smithy), and the SDK's default credential
  // chain is the server library's only.
  it.each(usedLambdas())('bundles no AWS SDK into %s', (name) => {
    const sdk = [...packagesIn(name)].filter(
      (pkg) => pkg.startsWith('@aws-sdk/') || pkg.startsWith('@smithy/'),
    );
    expect(sdk).toEqual([]);
  });

  it.each(usedLambdas())('validates with zod/mini in %s: no full zod build, one locale', (name) => {
    const zod = sourcesIn(name).filter((s) => s.includes('node_modules/zod/'));
    expect(zod.filter((s) => /\/zod\/(v3|v4\/classic)\//.test(s))).toEqual([]);
    expect(zod.filter((s) => s.includes('/locales/') && !s.endsWith('/locales/en.js'))).toEqual([]);
  });

  it('keeps the $connect authorizer to jose, zod/mini and our own code', () => {
    expect([...packagesIn('ws-authorizer')].sort()).toEqual(['(project)', 'jose', 'zod']);
  });

  it('bundles as `npm run bench -- lambdas` does: byte for byte', async () => {
    const out = path.join(outdir, 'bench-bundle', 'index.mjs');
    await build(bundlingOptions(path.join(projectRoot, lambdas['ws-authorizer'].entry), out));
    expect(readFileSync(out).equals(readFileSync(bundleOf('ws-authorizer')))).toBe(true);
  });

  it('runs the bundled health handler', async () => {
    const result = (await invoke('http-health', httpEvent('GET', '/v1/health'))) as {
      statusCode: number;
      body: string;
    };
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ status: 'ok' });
  });

  it('runs the bundled $connect authorizer: a handshake without a token is allowed as anonymous', async () => {
    const methodArn = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/$connect';
    const result = await invoke('ws-authorizer', {
      type: 'REQUEST',
      methodArn,
      headers: {},
      queryStringParameters: {},
      requestContext: { routeKey: '$connect', eventType: 'CONNECT', connectionId: 'c1', stage: 'prod' },
    });
    expect(result).toMatchObject({
      principalId: 'anonymous',
      policyDocument: { Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }] },
    });
  });
});

function httpEvent(method: string, rawPath: string) {
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'api',
      requestId: 'r1',
      routeKey: `${method} ${rawPath}`,
      stage: '$default',
      time: '23/Nov/2026:12:00:00 +0000',
      timeEpoch: 1795435200000,
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
    },
  };
}
