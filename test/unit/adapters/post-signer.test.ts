import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { type Credentials, PostSigner } from '../../../shared/adapters/management-api/post-signer';

/** The reference: what the AWS SDK's own signer produces for the same request. */
async function smithySigned(
  creds: Credentials,
  region: string,
  host: string,
  path: string,
  body: Uint8Array,
  at: Date,
) {
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: creds,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'https:',
      hostname: host.split(':')[0] ?? host,
      path,
      headers: {
        host,
        'content-type': 'application/octet-stream',
        'content-length': String(body.byteLength),
      },
      body,
    }),
    { signingDate: at },
  );
  return signed.headers;
}

const ids = ['L0SM9cOFvHcCIhw=', 'abc+/def==', "x!y*z(1)'", 'plain'];
const bodies = ['{"type":"publication","data":{"n":1}}', '', '{"text":"héllo wörld ✓"}'].map((s) =>
  new TextEncoder().encode(s),
);
const credentialSets: Credentials[] = [
  { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  {
    accessKeyId: 'ASIAEXAMPLE',
    secretAccessKey: 'secret',
    sessionToken: 'IQoJb3JpZ2luX2VjE//token+with/chars=',
  },
];

describe('PostSigner', () => {
  it.each(credentialSets.flatMap((creds) => ids.map((id) => [creds, id] as const)))(
    'signs exactly as @smithy/signature-v4 does (%#)',
    async (creds, id) => {
      for (const body of bodies) {
        for (const [region, host, at] of [
          ['us-east-1', 'abc123.execute-api.us-east-1.amazonaws.com', new Date('2026-11-23T12:00:00Z')],
          ['eu-west-1', '127.0.0.1:8080', new Date('2027-01-01T00:00:59.999Z')],
        ] as const) {
          const path = `/prod/@connections/${encodeURIComponent(id)}`;
          const ours = await new PostSigner(region, 'execute-api', async () => creds).sign(
            host,
            path,
            body,
            at,
          );
          expect(ours).toEqual(await smithySigned(creds, region, host, path, body, at));
        }
      }
    },
  );

  it('derives a new signing key when the day or the credentials change', async () => {
    let creds: Credentials = credentialSets[0] as Credentials;
    const signer = new PostSigner('us-east-1', 'execute-api', async () => creds);
    const path = '/prod/@connections/abc';
    const body = new TextEncoder().encode('{}');
    const host = 'h.example.com';
    for (const at of [new Date('2026-11-23T23:59:59Z'), new Date('2026-11-24T00:00:01Z')]) {
      expect(await signer.sign(host, path, body, at)).toEqual(
        await smithySigned(creds, 'us-east-1', host, path, body, at),
      );
    }
    creds = credentialSets[1] as Credentials; // rotated (Lambda refreshes its role credentials)
    const at = new Date('2026-11-24T00:00:02Z');
    expect(await signer.sign(host, path, body, at)).toEqual(
      await smithySigned(creds, 'us-east-1', host, path, body, at),
    );
  });
});
