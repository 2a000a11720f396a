import { describe, expect, it } from 'vitest';
import { handlerEnvironment, STACK_SETTINGS, settingNames } from '../../../infra/settings';
import { loadLocalCredentials } from '../../../local/credentials';
import { createDevIssuer, loadDevKey } from '../../../local/dev-issuer';
import { stackEnv } from '../../../local/env';
import { resolveOptions } from '../../../local/options';
import { HELP, parseStartArgs, StartArgsError } from '../../../local/start-args';
import { loadConfig } from '../../../shared/app/config';

/** The problems of a command line that must not start, or a failure when it would start. */
async function problemsOf(argv: string[]): Promise<readonly string[]> {
  const error = await parseStartArgs(argv).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof StartArgsError)) throw new Error(`expected a StartArgsError, got ${String(error)}`);
  return error.problems;
}

async function startOptions(argv: string[]) {
  const args = await parseStartArgs(argv);
  if (args.help) throw new Error('expected a start, got --help');
  return args;
}

describe('npm start -- -c name=value', () => {
  it('reads each property as `cdk deploy -c` does, repeated -c allowed, the last of one name winning', async () => {
    const { options, banner } = await startOptions([
      '-c',
      'rateLimitPerMinute=5',
      '--context',
      'allowedOrigins=https://a.example.com,https://b.example.com',
      '-c',
      'allowAnonymous=false',
      '-c',
      'rateLimitPerMinute=100000',
    ]);
    expect(options.stackProps).toEqual({
      rateLimitPerMinute: 100_000,
      allowedOrigins: ['https://a.example.com', 'https://b.example.com'],
      allowAnonymous: false,
    });
    expect(banner.join('\n')).toContain(
      'allowedOrigins=https://a.example.com,https://b.example.com allowAnonymous=false rateLimitPerMinute=100000',
    );
  });

  it('accepts a setting that only configures AWS, and says it has no local effect', async () => {
    const args = await startOptions(['-c', 'tableRemovalPolicy=destroy', '-c', 'stageName=dev']);
    expect(args.notices).toEqual([
      '-c tableRemovalPolicy has no local effect: the table stays in --data-dir, or in memory with --memory',
      '-c stageName has no local effect: the local WebSocket stage is always /local',
    ]);
  });

  it('lists every problem of the command line in one error', async () => {
    const problems = await problemsOf([
      '-c',
      'rateLimitPerMinte=3',
      '-c',
      'maxDataBytes=lots',
      '-c',
      'issuer=https://login.example.com',
      '-c',
      'presenceAnnounceMax=-1',
      '-c',
      'logRetentionDays=2',
      '-c',
      'allowedOrigins=https://a.example.com/path',
      '-c',
      'noEquals',
      '--max-lifetime',
      '0',
    ]);
    expect(problems).toEqual([
      '--max-lifetime must be a number of seconds above 0 and at most 7200, got "0"',
      '-c rateLimitPerMinte: not a stack property (did you mean rateLimitPerMinute?); npm start -- --help lists them',
      '-c issuer: refused locally: the local stack is its own token issuer (npm run token), so tokens of another one would not verify',
      '-c noEquals: expected name=value',
      '-c maxDataBytes=lots: not a number',
      '-c logRetentionDays=2: not a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, …)',
      'allowedOrigins: "https://a.example.com/path" is not an origin (scheme://host[:port], no path) or \'*\'',
      'presenceAnnounceMax must be a whole number ≥ 0, got -1',
    ]);
  });

  it('refuses what the local stack replaces itself: issuer, audience, jwksUrl', async () => {
    for (const pair of ['audience=a', 'jwksUrl=https://login.example.com/jwks']) {
      expect((await problemsOf(['-c', pair]))[0]).toMatch(/refused locally: the local stack is its own/);
    }
    expect(() => resolveOptions({ stackProps: { issuer: 'https://login.example.com' } })).toThrow(
      'stackProps.issuer: refused locally',
    );
  });

  it('reports an unknown option as such', async () => {
    expect(await problemsOf(['--max-lifetme', '3'])).toEqual([expect.stringContaining("'--max-lifetme'")]);
  });

  it("--lambda-workers: how many worker threads run the handlers, 0 for the emulator's own thread", async () => {
    expect((await startOptions(['--lambda-workers', '0'])).options.lambdaWorkers).toBe(0);
    expect((await startOptions(['--lambda-workers', '2'])).options.lambdaWorkers).toBe(2);
    expect(resolveOptions({}).lambdaWorkers).toBeGreaterThanOrEqual(1);
    expect(await problemsOf(['--lambda-workers', 'two'])).toEqual([
      '--lambda-workers must be a whole number, got "two"',
    ]);
    expect(() => resolveOptions({ lambdaWorkers: 65 })).toThrow('lambdaWorkers must be an integer 0..64');
  });
});

describe('npm start: the seed paths settings, as -c or as --seed-… flags', () => {
  it('-c seedPaths=true serves the seed paths on a free port, -c seedChat chooses as --seed-chat', async () => {
    const { options, notices } = await startOptions(['-c', 'seedPaths=true', '-c', 'seedChat=chats']);
    expect(options).toMatchObject({ seedPort: 0, seedChat: 'chats' });
    expect(notices).toEqual([]);
  });

  it('--seed-port names the port; without seedPaths or --seed-port there is none', async () => {
    expect((await startOptions(['-c', 'seedPaths=true', '--seed-port', '8123'])).options.seedPort).toBe(8123);
    expect((await startOptions(['-c', 'seedCounter=c1'])).options).toMatchObject({
      seedPort: undefined,
      seedCounter: 'c1',
    });
  });

  it('refuses the two names of one setting disagreeing, and a value the stack refuses', async () => {
    expect(
      await problemsOf(['--seed-chat', 'rooms', '-c', 'seedChat=chats', '-c', 'seedNotifications=002']),
    ).toEqual([
      'seedNotifications must be "001" or "004" (the seed whose frames), got "002"',
      '--seed-chat rooms and -c seedChat=chats disagree: give one',
    ]);
  });
});

describe('npm start -- --max-lifetime / --idle-timeout', () => {
  it('turn seconds into the emulator limits and show them in the banner', async () => {
    const { options, banner } = await startOptions(['--max-lifetime', '3', '--idle-timeout', '0.5']);
    expect(options).toMatchObject({ maxLifetimeMs: 3000, idleTimeoutMs: 500 });
    expect(banner).toEqual([
      '  Limits     max lifetime 3 s, idle timeout 0.5 s (API Gateway: 7200 s, 600 s)',
    ]);
  });

  it('leave the API Gateway limits, and the banner, alone when not given', async () => {
    const { options, banner } = await startOptions([]);
    expect(options.maxLifetimeMs).toBeUndefined();
    expect(options.idleTimeoutMs).toBeUndefined();
    expect(resolveOptions(options)).toMatchObject({ maxLifetimeMs: 7_200_000, idleTimeoutMs: 600_000 });
    expect(banner).toEqual([]);
  });

  it.each([
    ['--max-lifetime', 'soon', 7200],
    ['--max-lifetime', '7201', 7200],
    ['--idle-timeout', '-1', 600],
    ['--idle-timeout', '601', 600],
    ['--idle-timeout', '0.0001', 600],
  ])('refuse %s %s: they only shorten API Gateway limits', async (flag, value, max) => {
    expect(await problemsOf([`${flag}=${value}`])).toEqual([
      `${flag} must be a number of seconds above 0 and at most ${max}, got "${value}"`,
    ]);
  });
});

describe('npm start -- --help', () => {
  it('lists every stack setting of the table, with its default', async () => {
    expect(await parseStartArgs(['--help'])).toEqual({ help: true });
    const lines = HELP.split('\n');
    for (const name of settingNames) {
      const at = lines.findIndex((line) => line.startsWith(`  ${name}=`));
      expect(at, name).toBeGreaterThan(0);
      const { default: value } = STACK_SETTINGS[name];
      if (value !== undefined) expect(lines[at + 1], name).toContain(`Default: ${value}.`);
    }
    expect(HELP).toMatch(/--max-lifetime <seconds>/);
    expect(HELP).toMatch(/--idle-timeout <seconds>/);
  });
});

describe("The local stack's handler environment", () => {
  it('is the CDK stack mapping of the props, with the dev issuer in place of issuer and audience', async () => {
    const issuer = await createDevIssuer(await loadDevKey(null), 'http://localhost:8080');
    const stackProps = { rateLimitPerMinute: 3, orgsPrefix: '/orgs/', allowAnonymous: false };
    const env = stackEnv({
      tableName: 'switchboard',
      dynamodbEndpoint: 'http://127.0.0.1:8000',
      region: 'us-east-1',
      port: 8080,
      sqsPort: 9324,
      issuer,
      credentials: await loadLocalCredentials(null),
      handlerLogLevel: 'WARN',
      stackProps,
      overrides: {},
    });
    expect(env).toMatchObject(
      handlerEnvironment({ ...stackProps, issuer: issuer.issuer, audience: [issuer.audience] }),
    );
    expect(env).toMatchObject({
      RATE_LIMIT_PER_MINUTE: '3',
      ORGS_PREFIX: '/orgs/',
      ALLOW_ANONYMOUS: 'false',
      // The route table's queue, on the SQS emulation's own port.
      FANOUT_QUEUE_URL: 'http://127.0.0.1:9324/123456789012/fan-out',
    });
    // A DynamoDB given by its endpoint gets one request a socket; one the stack started, pipelined requests.
    expect(env.DYNAMODB_PIPELINE).toBeUndefined();
    expect(loadConfig(env).dynamodbPipeline).toBe(1);
  });

  it('pipelines the handlers’ DynamoDB requests to a DynamoDB the stack started', async () => {
    const env = stackEnv({
      tableName: 'switchboard',
      dynamodbEndpoint: 'http://127.0.0.1:8000',
      dynamodbPipeline: 32,
      region: 'us-east-1',
      port: 8080,
      sqsPort: 9324,
      issuer: await createDevIssuer(await loadDevKey(null), 'http://localhost:8080'),
      credentials: await loadLocalCredentials(null),
      handlerLogLevel: 'WARN',
      stackProps: {},
      overrides: {},
    });
    expect(env.DYNAMODB_PIPELINE).toBe('32');
    expect(loadConfig(env).dynamodbPipeline).toBe(32);
    expect(() => loadConfig({ ...env, DYNAMODB_PIPELINE: '0' })).toThrow(/DYNAMODB_PIPELINE/);
  });
});
