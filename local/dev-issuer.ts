import { randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import * as z from 'zod/mini';
import { readJsonFile, writePrivateJson } from './json-file';

/**
 * The local stack's own token issuer, so that nothing needs an identity provider to try Switchboard. Local
 * only: production stacks never serve it. RS256, because the HTTP API's JWT authorizer accepts only RSA
 * signatures; an ES256 issuer would work on the WebSocket side and fail on every JWT route in AWS.
 *
 * The key pair lives in `<dataDir>/dev-issuer.json`, so tokens survive restarts (on the same port: the
 * issuer is the stack's URL), or in memory with `--memory`.
 */
export const DEV_AUDIENCE = 'switchboard';
const ALG = 'RS256';

interface DevKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export interface TokenRequest {
  sub: string;
  orgs?: string[];
  scope?: string;
  name?: string;
  /** Lifetime in seconds (default one hour). */
  ttl?: number;
}

export interface DevIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly jwks: JSONWebKeySet;
  /** Signs a token; `extra` claims (tests) go in last and may override the standard ones. */
  mint(request: TokenRequest, extra?: JWTPayload): Promise<string>;
}

export const DEFAULT_TOKEN_TTL_SECONDS = 3600;
const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

/** A token request from HTTP or the CLI: `orgs` may be a list or comma-separated, `scope` a list or a string. */
export const tokenRequestSchema = z.object({
  sub: z.string().check(z.minLength(1), z.maxLength(128)),
  orgs: z.pipe(
    z.optional(z.union([z.array(z.string().check(z.minLength(1))), z.string()])),
    z.transform((v: string[] | string | undefined) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
    ),
  ),
  scope: z.pipe(
    z.optional(z.union([z.array(z.string().check(z.minLength(1))), z.string()])),
    z.transform((v: string[] | string | undefined) => (Array.isArray(v) ? v.join(' ') : v)),
  ),
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  ttl: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(MAX_TOKEN_TTL_SECONDS))),
});

export async function loadDevKey(file: string | null): Promise<DevKey> {
  if (file) {
    const stored = await readStoredKey(file);
    if (stored) return stored;
  }
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const key: DevKey = { kid, privateJwk: await exportJWK(privateKey), publicJwk };
  if (file) await writePrivateJson(file, key);
  return key;
}

async function readStoredKey(file: string): Promise<DevKey | null> {
  const key = (await readJsonFile(file)) as Partial<DevKey> | null;
  if (key === null) return null;
  if (typeof key.kid !== 'string' || key.privateJwk?.kty !== 'RSA' || key.publicJwk?.kty !== 'RSA') {
    throw new Error(`${file} is not a dev issuer key; delete it and a new one is made`);
  }
  return key as DevKey;
}

export async function createDevIssuer(key: DevKey, issuer: string): Promise<DevIssuer> {
  const signingKey = await importJWK(key.privateJwk, ALG);
  const jwks: JSONWebKeySet = { keys: [{ ...key.publicJwk, kid: key.kid, alg: ALG, use: 'sig' }] };
  return {
    issuer,
    audience: DEV_AUDIENCE,
    jwks,
    async mint(request, extra = {}) {
      const now = Math.floor(Date.now() / 1000);
      const ttl = request.ttl ?? DEFAULT_TOKEN_TTL_SECONDS;
      const claims: JWTPayload = {
        iss: issuer,
        aud: DEV_AUDIENCE,
        sub: request.sub,
        iat: now,
        exp: now + ttl,
        jti: randomUUID(),
        ...(request.orgs ? { orgs: request.orgs } : {}),
        ...(request.scope ? { scope: request.scope } : {}),
        ...(request.name ? { name: request.name } : {}),
        ...extra,
      };
      return new SignJWT(claims).setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'JWT' }).sign(signingKey);
    },
  };
}
