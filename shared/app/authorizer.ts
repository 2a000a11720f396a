import { authorizeConnect } from '../core/auth/authorize-connect';
import { createTokenVerifier, presentedToken, type TokenVerifier } from '../core/auth/jwt';
import { principalToContext } from '../core/auth/principal';
import type { Log } from '../core/ports';
import { type Config, type Env, type LogLevel, loadConfig } from './config';
import { type AuthorizerResult, header, type WsAuthorizerEvent } from './events';

/**
 * The `$connect` authorizer's own runtime: it verifies a JWT and the Origin, and reaches no AWS service,
 * so it has no store and no Management API; its bundle is jose, the configuration's schema and this
 * (issue 15's budget: 60 KB). Every `$connect` waits for its cold start.
 */
export interface AuthorizerRuntime {
  readonly config: Config;
  readonly verifier: TokenVerifier;
  readonly log: Log;
}

/** Builds the authorizer's runtime from an environment (fakes for tests). Configuration errors throw here. */
export function createAuthorizerRuntime(
  env: Env,
  overrides: { verifier?: TokenVerifier; log?: Log } = {},
): AuthorizerRuntime {
  const config = loadConfig(env);
  return {
    config,
    verifier: overrides.verifier ?? createTokenVerifier(config.auth),
    log: overrides.log ?? jsonLineLog(config.logLevel),
  };
}

/**
 * The $connect REQUEST authorizer. Allow: the principal travels as context to every later route of the
 * connection. Deny: API Gateway answers the handshake 403. Throwing "Unauthorized": it answers 401.
 */
export function authorizerHandler(rt: AuthorizerRuntime) {
  return async (event: WsAuthorizerEvent): Promise<AuthorizerResult> => {
    const token =
      event.queryStringParameters?.token || presentedToken(header(event.headers, 'authorization')) || null;
    const decision = await authorizeConnect(rt, { token, origin: header(event.headers, 'origin') });
    if (decision.effect === 'unauthorized') {
      rt.log.info('connect refused', { reason: decision.reason });
      throw new Error('Unauthorized');
    }
    if (decision.effect === 'deny') {
      rt.log.info('connect denied', { reason: decision.reason });
      return policy('denied', 'Deny', event.methodArn);
    }
    const { principal } = decision;
    // The seed dialect rides in the context to every later frame of the connection: known without a read
    // (checked by $connect, which refuses one it does not know).
    const dialect = event.queryStringParameters?.dialect;
    return policy(principal.sub ?? 'anonymous', 'Allow', event.methodArn, {
      ...principalToContext(principal),
      ...(dialect ? { dialect } : {}),
    });
  };
}

const policy = (
  principalId: string,
  effect: 'Allow' | 'Deny',
  resource: string,
  context?: Record<string, string>,
): AuthorizerResult => ({
  principalId,
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  },
  ...(context ? { context } : {}),
});

const SEVERITY: Record<LogLevel, number> = {
  TRACE: 6,
  DEBUG: 8,
  INFO: 12,
  WARN: 16,
  ERROR: 20,
  CRITICAL: 24,
  SILENT: 28,
};

/**
 * The authorizer's log: one JSON line per entry on stdout with the keys Powertools Logger writes (level,
 * message, timestamp, service, sampling_rate, xray_trace_id, then the entry's fields), so its lines read
 * and query like every other function's. Powertools Logger itself is 22 KB of bundle: more than a third of
 * the authorizer's budget (measured: 77 KB with it, 54 KB without).
 */
export function jsonLineLog(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stdout.write(line),
): Log {
  const at =
    (name: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR') =>
    (message: string, extra: Record<string, unknown> = {}) => {
      if (SEVERITY[name] < SEVERITY[level]) return;
      const trace = /Root=([^;]+)/.exec(process.env._X_AMZN_TRACE_ID ?? '')?.[1];
      const entry = {
        level: name,
        message,
        timestamp: new Date().toISOString(),
        service: 'switchboard',
        sampling_rate: 0,
        ...(trace ? { xray_trace_id: trace } : {}),
        ...extra,
      };
      write(`${JSON.stringify(entry)}\n`);
    };
  return { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
}
