/**
 * What API Gateway makes of a Lambda authorizer's answer: the IAM policy must allow `execute-api:Invoke`
 * on the route's ARN (an explicit Deny wins) for the connection to go on, and the context must be flat
 * strings, numbers and booleans. A malformed answer is the authorizer's fault: 500, as in AWS.
 */
export type PolicyDecision =
  | { effect: 'allow'; authorizer: Record<string, string | number | boolean> }
  | { effect: 'deny' }
  | { effect: 'invalid'; reason: string };

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  Resource?: unknown;
}

export function evaluateAuthorizerResult(result: unknown, methodArn: string): PolicyDecision {
  if (typeof result !== 'object' || result === null) return invalid('the authorizer returned no object');
  const { principalId, policyDocument, context } = result as Record<string, unknown>;
  if (typeof principalId !== 'string') return invalid('principalId is missing');
  const statements = (policyDocument as { Statement?: unknown } | undefined)?.Statement;
  const list: unknown[] = Array.isArray(statements) ? statements : statements ? [statements] : [];
  if (list.length === 0) return invalid('policyDocument has no Statement');

  const applies = (s: Statement) =>
    matchesAny(s.Action, 'execute-api:Invoke') && matchesAny(s.Resource, methodArn);
  const relevant = list.filter((s): s is Statement => typeof s === 'object' && s !== null).filter(applies);
  if (relevant.some((s) => s.Effect === 'Deny')) return { effect: 'deny' };
  if (!relevant.some((s) => s.Effect === 'Allow')) return { effect: 'deny' };

  const flat: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries((context ?? {}) as Record<string, unknown>)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      return invalid(`context.${k} is not a string, number or boolean`);
    }
    flat[k] = v;
  }
  return { effect: 'allow', authorizer: { ...flat, principalId } };
}

const invalid = (reason: string): PolicyDecision => ({ effect: 'invalid', reason });

/** IAM matching: `*` any run of characters, `?` one character; a list matches if one of it does. */
function matchesAny(patterns: unknown, value: string): boolean {
  const list = Array.isArray(patterns) ? patterns : [patterns];
  return list.some((p) => typeof p === 'string' && wildcard(p).test(value));
}

/**
 * Patterns compiled once: an authorizer answers every connect with the same few (its `Resource`, the
 * action). Bounded, since a pattern may carry a connection's own ARN: past the bound the cache starts over.
 */
const compiled = new Map<string, RegExp>();
const COMPILED_MAX = 256;

function wildcard(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    re = new RegExp(
      `^${pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('')}$`,
    );
    compiled.set(pattern, re);
  }
  return re;
}
