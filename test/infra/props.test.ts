import { describe, expect, it } from 'vitest';
import { InvalidStackPropsError, type SwitchboardStackProps } from '../../infra/stack';
import { DEFAULTS } from '../../shared/app/defaults';
import { usedLambdas } from '../../shared/app/routes';
import { environmentOf, synth, VALID_PROPS } from './synth';

function problemsOf(props: SwitchboardStackProps): readonly string[] {
  try {
    synth(props);
  } catch (error) {
    if (error instanceof InvalidStackPropsError) return error.problems;
    throw error;
  }
  return [];
}

describe('When the props are wrong in many ways at once', () => {
  const props: SwitchboardStackProps = {
    issuer: 'http://auth.example.com',
    jwksUrl: 'http://auth.example.com/jwks',
    jwtAlgorithms: ['RS256', 'HS256', 'none'],
    allowedOrigins: ['https://app.example.com/path'],
    rateLimitPerMinute: 0,
    maxChannelsPerConnection: 2.5,
    presenceAnnounceMax: -1,
    stageName: 'no spaces',
  };

  it('throws one error that lists every problem', () => {
    let error: unknown;
    try {
      synth(props);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidStackPropsError);
    const { message, problems } = error as InvalidStackPropsError;
    const expected = [
      'stageName "no spaces"',
      'issuer must be an https URL',
      'audience is required with issuer',
      'jwksUrl must be an https URL',
      'jwtAlgorithms allows only asymmetric algorithms (RS/PS/ES 256/384/512, EdDSA), got HS256, none',
      'allowedOrigins: "https://app.example.com/path" is not an origin',
      'rateLimitPerMinute must be a whole number ≥ 1, got 0',
      'maxChannelsPerConnection must be a whole number ≥ 1, got 2.5',
      'presenceAnnounceMax must be a whole number ≥ 0, got -1',
    ];
    expect(problems).toHaveLength(expected.length);
    for (const text of expected) {
      expect(problems.some((p) => p.includes(text))).toBe(true);
      expect(message).toContain(text);
    }
  });
});

describe('When one prop is wrong', () => {
  it.each<[string, SwitchboardStackProps, string[]]>([
    [
      'no issuer while the table has jwt routes',
      {},
      ['issuer is required: the HTTP routes POST /v1/publish'],
    ],
    ['an issuer without audience', { issuer: VALID_PROPS.issuer }, ['audience is required with issuer']],
    [
      'an audience without issuer',
      { audience: ['x'] },
      ['issuer is required: the HTTP routes', 'audience is set without issuer'],
    ],
    [
      'a jwksUrl that is not https',
      { ...VALID_PROPS, jwksUrl: 'http://x/jwks' },
      ['jwksUrl must be an https URL'],
    ],
    ['a symmetric algorithm', { ...VALID_PROPS, jwtAlgorithms: ['HS256'] }, ['only asymmetric algorithms']],
    ['no algorithm at all', { ...VALID_PROPS, jwtAlgorithms: [] }, ['jwtAlgorithms must name at least one']],
    [
      'a rate limit below 1',
      { ...VALID_PROPS, rateLimitPerMinute: 0 },
      ['rateLimitPerMinute must be a whole'],
    ],
    [
      'no sensor retention',
      { ...VALID_PROPS, sensorRetentionDays: 0 },
      ['sensorRetentionDays must be a whole'],
    ],
    ['no burst', { ...VALID_PROPS, throttlingBurstLimit: 0 }, ['throttlingBurstLimit must be a whole']],
    [
      'a comma inside an audience',
      { ...VALID_PROPS, audience: ['a,b'] },
      ['audience values must not contain commas'],
    ],
    [
      'an origin with a path',
      { ...VALID_PROPS, allowedOrigins: ['https://a.example/x'] },
      ['is not an origin'],
    ],
    [
      'an HTTP rate limit below 1',
      { ...VALID_PROPS, httpThrottlingRateLimit: 0 },
      ['httpThrottlingRateLimit must be a whole number ≥ 1, got 0'],
    ],
    [
      'a fractional HTTP burst',
      { ...VALID_PROPS, httpThrottlingBurstLimit: 1.5 },
      ['httpThrottlingBurstLimit must be a whole number ≥ 1, got 1.5'],
    ],
    [
      'throttling of a WebSocket route that does not exist',
      { ...VALID_PROPS, webSocketRouteThrottling: { $conect: { rateLimit: 1, burstLimit: 1 } } },
      ['webSocketRouteThrottling: "$conect" is not a WebSocket route'],
    ],
    [
      'a WebSocket route throttled to nothing',
      { ...VALID_PROPS, webSocketRouteThrottling: { $connect: { rateLimit: 0, burstLimit: 10 } } },
      ['webSocketRouteThrottling.$connect.rateLimit must be a whole number ≥ 1, got 0'],
    ],
    [
      'an alarm e-mail that is not one',
      { ...VALID_PROPS, alarmEmail: 'oncall.example.com' },
      ['alarmEmail "oncall.example.com" is not an e-mail address'],
    ],
  ])('reports %s, and nothing else', (_, props, expected) => {
    expect(problemsOf(props)).toEqual(expected.map((text) => expect.stringContaining(text)));
  });

  it('accepts valid props', () => {
    expect(problemsOf({ ...VALID_PROPS, allowedOrigins: ['*', 'https://app.example.com'] })).toEqual([]);
  });
});

describe('When the props set auth and limits', () => {
  const { template, functionId } = synth({
    issuer: 'https://login.example.com/',
    audience: ['switchboard', 'console'],
    jwksUrl: 'https://login.example.com/keys',
    jwtAlgorithms: ['ES384', 'EdDSA'],
    orgsClaim: 'groups',
    orgsPrefix: '/orgs/',
    usernameClaims: ['email', 'sub'],
    allowAnonymous: false,
    allowedOrigins: ['https://app.example.com'],
    rateLimitPerMinute: 600,
    maxChannelsPerConnection: 20,
    maxConnectionsPerUser: 5,
    presenceAnnounceMax: 0,
    maxDataBytes: 4096,
    sensorRetentionDays: 7,
  });

  it.each(usedLambdas())('%s reads them from its environment', (name) => {
    expect(environmentOf(template, functionId(name))).toMatchObject({
      JWT_ISSUER: 'https://login.example.com/',
      JWT_AUDIENCE: 'switchboard,console',
      JWKS_URL: 'https://login.example.com/keys',
      JWT_ALGORITHMS: 'ES384,EdDSA',
      ORGS_CLAIM: 'groups',
      ORGS_PREFIX: '/orgs/',
      USERNAME_CLAIMS: 'email,sub',
      ALLOW_ANONYMOUS: 'false',
      ALLOWED_ORIGINS: 'https://app.example.com',
      RATE_LIMIT_PER_MINUTE: '600',
      MAX_CHANNELS_PER_CONNECTION: '20',
      MAX_CONNECTIONS_PER_USER: '5',
      PRESENCE_ANNOUNCE_MAX: '0',
      MAX_DATA_BYTES: '4096',
      SENSOR_RETENTION_DAYS: '7',
    });
  });
});

describe('When only issuer and audience are given', () => {
  const { template, functionId } = synth(VALID_PROPS);
  const env = environmentOf(template, functionId('ws-message'));

  it('sets the documented defaults', () => {
    expect(env).toMatchObject({
      JWT_ALGORITHMS: 'RS256,ES256',
      ORGS_CLAIM: 'orgs',
      USERNAME_CLAIMS: 'preferred_username,name,sub',
      ALLOW_ANONYMOUS: 'true',
      RATE_LIMIT_PER_MINUTE: '100',
      MAX_CHANNELS_PER_CONNECTION: '100',
      MAX_CONNECTIONS_PER_USER: '50',
      PRESENCE_ANNOUNCE_MAX: '100',
      SENSOR_RETENTION_DAYS: '30',
    });
  });

  it('takes those defaults from shared/app/defaults.ts, the one place the handlers take theirs from', () => {
    const keys = [
      'ORGS_CLAIM',
      'ALLOW_ANONYMOUS',
      'RATE_LIMIT_PER_MINUTE',
      'MAX_CHANNELS_PER_CONNECTION',
      'MAX_CONNECTIONS_PER_USER',
      'PRESENCE_ANNOUNCE_MAX',
      'MAX_DATA_BYTES',
      'SENSOR_RETENTION_DAYS',
    ] as const;
    for (const key of keys) expect(env[key]).toBe(String(DEFAULTS[key]));
    expect(env.JWT_ALGORITHMS).toBe(DEFAULTS.JWT_ALGORITHMS.join(','));
    expect(env.USERNAME_CLAIMS).toBe(DEFAULTS.USERNAME_CLAIMS.join(','));
  });

  it('sets no JWKS_URL unless given: the handlers find the keys by OIDC discovery from the issuer', () => {
    expect(env).not.toHaveProperty('JWKS_URL');
  });

  it('leaves out what has no value, so the handler default applies', () => {
    expect(env).not.toHaveProperty('ORGS_PREFIX');
    expect(env).not.toHaveProperty('ALLOWED_ORIGINS');
  });
});
