import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import type { Credentials } from '../../../shared/adapters/aws/credentials';
import { credentialsProvider } from '../../../shared/adapters/aws/credentials';
import { type SignableRequest, SigV4Signer } from '../../../shared/adapters/aws/signer';

/** The reference: what the AWS SDK's own signer produces for the same request. */
async function smithySigned(
  creds: Credentials,
  region: string,
  service: string,
  req: SignableRequest,
  at: Date,
) {
  const signer = new SignatureV4({ service, region, credentials: creds, sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign(
    new HttpRequest({
      method: req.method,
      protocol: 'https:',
      hostname: req.host.split(':')[0] ?? req.host,
      path: req.path,
      ...(req.query ? { query: req.query } : {}),
      headers: { host: req.host, ...req.headers },
      body: req.body,
    }),
    { signingDate: at },
  );
  return signed.headers;
}

const credentialSets: Credentials[] = [
  { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  {
    accessKeyId: 'ASIAEXAMPLE',
    secretAccessKey: 'secret',
    sessionToken: 'IQoJb3JpZ2luX2VjE//token+with/chars=',
  },
];

const requests: [string, SignableRequest][] = [
  [
    'dynamodb',
    {
      method: 'POST',
      host: 'dynamodb.eu-west-1.amazonaws.com',
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      body: '{"TableName":"t","Key":{"pk":{"S":"héllo ✓"}}}',
    },
  ],
  [
    'execute-api',
    {
      method: 'GET',
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      path: `/prod/@connections/${encodeURIComponent("abc+/def==x!y*z(1)'")}`,
    },
  ],
  [
    'execute-api',
    {
      method: 'DELETE',
      host: '127.0.0.1:8080',
      path: `/local/@connections/${encodeURIComponent('L0SM9cOFvHcCIhw=')}`,
    },
  ],
  [
    'lambda',
    {
      method: 'POST',
      host: 'lambda.us-east-1.amazonaws.com',
      path: `/2015-03-31/functions/${encodeURIComponent('arn:aws:lambda:us-east-1:123:function:f')}/invocations`,
      query: { Qualifier: '$LATEST', 'a b': 'c/d', A: '1' },
      headers: { 'x-amz-invocation-type': 'Event', 'content-type': 'application/json' },
      body: new TextEncoder().encode('{"n":1}'),
    },
  ],
];

describe('SigV4Signer', () => {
  it.each(
    credentialSets.flatMap((creds) => requests.map(([service, req]) => [creds, service, req] as const)),
  )('signs exactly as @smithy/signature-v4 does (%#)', async (creds, service, req) => {
    for (const [region, at] of [
      ['us-east-1', new Date('2026-11-23T12:00:00Z')],
      ['eu-west-1', new Date('2027-01-01T00:00:59.999Z')],
    ] as const) {
      const ours = await new SigV4Signer(region, service, credentialsProvider(creds)).sign(req, at);
      const theirs = await smithySigned(creds, region, service, req, at);
      expect(ours.authorization).toBe(theirs.authorization);
      for (const name of ['x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token'])
        expect(ours[name], name).toBe(theirs[name]);
    }
  });

  it('keeps one signing key per day and credentials, and a new one when they change', async () => {
    let creds: Credentials = credentialSets[0]!;
    const signer = new SigV4Signer('us-east-1', 'dynamodb', async () => creds);
    const req = requests[0]![1];
    const at = new Date('2026-11-23T12:00:00Z');
    const first = await signer.sign(req, at);
    creds = credentialSets[1]!;
    const second = await signer.sign(req, at);
    expect(second.authorization).not.toBe(first.authorization);
    expect(second.authorization).toBe(
      (await smithySigned(creds, 'us-east-1', 'dynamodb', req, at)).authorization,
    );
  });
});

describe('credentialsProvider', () => {
  it('reads the environment when none are given, and says what is missing', async () => {
    const saved = { ...process.env };
    try {
      process.env.AWS_ACCESS_KEY_ID = 'AKID';
      process.env.AWS_SECRET_ACCESS_KEY = 'SECRET';
      process.env.AWS_SESSION_TOKEN = 'TOKEN';
      await expect(credentialsProvider()()).resolves.toEqual({
        accessKeyId: 'AKID',
        secretAccessKey: 'SECRET',
        sessionToken: 'TOKEN',
      });
      delete process.env.AWS_SECRET_ACCESS_KEY;
      await expect(credentialsProvider()()).rejects.toThrow(/AWS_SECRET_ACCESS_KEY/);
    } finally {
      process.env = saved;
    }
  });

  it('uses given static credentials or a provider as they are', async () => {
    await expect(credentialsProvider(credentialSets[1])()).resolves.toEqual(credentialSets[1]);
    const provider = async () => credentialSets[0]!;
    expect(credentialsProvider(provider)).toBe(provider);
  });
});
