import { describe, expect, it } from 'vitest';
import { evaluateAuthorizerResult } from '../../../local/authorizer-policy';

const ARN = 'arn:aws:execute-api:us-east-1:123456789012:localwsapi/local/$connect';

const answer = (statements: unknown, context?: unknown) => ({
  principalId: 'alice',
  policyDocument: { Version: '2012-10-17', Statement: statements },
  ...(context === undefined ? {} : { context }),
});
const allow = (resource: unknown, action: unknown = 'execute-api:Invoke') => ({
  Effect: 'Allow',
  Action: action,
  Resource: resource,
});

describe('evaluateAuthorizerResult', () => {
  it('allows on a matching Allow, with the context and the principalId', () => {
    expect(evaluateAuthorizerResult(answer([allow(ARN)], { sub: 'alice', n: 2, ok: true }), ARN)).toEqual({
      effect: 'allow',
      authorizer: { sub: 'alice', n: 2, ok: true, principalId: 'alice' },
    });
  });

  it('matches IAM wildcards: * any run, ? one character, in a list', () => {
    const stage = 'arn:aws:execute-api:us-east-1:123456789012:localwsapi/*';
    expect(evaluateAuthorizerResult(answer([allow(stage)]), ARN).effect).toBe('allow');
    expect(evaluateAuthorizerResult(answer([allow(ARN.replace('$connect', '$co?nect'))]), ARN).effect).toBe(
      'allow',
    );
    expect(evaluateAuthorizerResult(answer([allow(['arn:aws:other', stage])]), ARN).effect).toBe('allow');
    expect(evaluateAuthorizerResult(answer([allow(stage, ['execute-api:*'])]), ARN).effect).toBe('allow');
  });

  it('takes the rest of a pattern literally: regex characters, and ? as exactly one character', () => {
    // "." and "$" are not regex operators here: the ARN with "." for "$" does not match.
    expect(evaluateAuthorizerResult(answer([allow(ARN.replace('$', '.'))]), ARN).effect).toBe('deny');
    expect(evaluateAuthorizerResult(answer([allow(ARN.replace('$connect', '$connec??'))]), ARN).effect).toBe(
      'deny',
    );
    expect(evaluateAuthorizerResult(answer([allow(`${ARN}(x)?`)]), ARN).effect).toBe('deny');
  });

  it('gives the same answers when the same patterns come again (compiled once)', () => {
    const other = ARN.replace('$connect', '$default');
    for (let i = 0; i < 300; i++) {
      // More distinct patterns than are kept compiled, then the first ones again.
      const pattern = `${ARN.slice(0, -1)}${'?'.repeat(i % 2)}${i}`;
      evaluateAuthorizerResult(answer([allow(pattern)]), ARN);
    }
    expect(evaluateAuthorizerResult(answer([allow(ARN)]), ARN).effect).toBe('allow');
    expect(evaluateAuthorizerResult(answer([allow(ARN)]), other).effect).toBe('deny');
  });

  it('lets an explicit Deny win, and denies what no statement allows', () => {
    const deny = { ...allow(ARN), Effect: 'Deny' };
    expect(evaluateAuthorizerResult(answer([allow('*'), deny]), ARN)).toEqual({ effect: 'deny' });
    expect(evaluateAuthorizerResult(answer([allow(`${ARN}x`)]), ARN)).toEqual({ effect: 'deny' });
    expect(evaluateAuthorizerResult(answer([allow(ARN, 'execute-api:ManageConnections')]), ARN)).toEqual({
      effect: 'deny',
    });
  });

  it('calls a malformed answer invalid (a 500, as in AWS)', () => {
    expect(evaluateAuthorizerResult(null, ARN)).toMatchObject({ effect: 'invalid' });
    expect(evaluateAuthorizerResult({ policyDocument: {} }, ARN)).toMatchObject({
      effect: 'invalid',
      reason: 'principalId is missing',
    });
    expect(evaluateAuthorizerResult(answer([]), ARN)).toMatchObject({
      effect: 'invalid',
      reason: 'policyDocument has no Statement',
    });
    expect(evaluateAuthorizerResult(answer([allow(ARN)], { nested: { a: 1 } }), ARN)).toMatchObject({
      effect: 'invalid',
      reason: 'context.nested is not a string, number or boolean',
    });
  });
});
