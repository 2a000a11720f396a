import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeZodError, parseWithMessages } from '../shared/core/protocol';
import { type DevIssuer, tokenRequestSchema } from './dev-issuer';
import { BodyTooLargeError, readBody, sendJson } from './http-util';
import type { RequestParts } from './request-parts';

/**
 * The dev issuer over HTTP: its key set and OIDC discovery document where an OIDC issuer publishes them,
 * and `POST /.local/token` for the console page and `npm run token`.
 */
export const TOKEN_PATH = '/.local/token';
export const JWKS_PATH = '/.well-known/jwks.json';
const DISCOVERY_PATH = '/.well-known/openid-configuration';
const MAX_TOKEN_REQUEST_BYTES = 16 * 1024;

export function createIssuerRoutes(issuer: DevIssuer) {
  const open = { 'access-control-allow-origin': '*', 'cache-control': 'no-cache' };

  /** Answers the request if it is one of the issuer's; false otherwise. */
  return async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    request: RequestParts,
  ): Promise<boolean> {
    const route = `${request.method} ${request.rawPath}`;
    if (route === `GET ${JWKS_PATH}`) {
      sendJson(res, 200, issuer.jwks, open);
      return true;
    }
    if (route === `GET ${DISCOVERY_PATH}`) {
      sendJson(
        res,
        200,
        {
          issuer: issuer.issuer,
          jwks_uri: `${issuer.issuer}${JWKS_PATH}`,
          id_token_signing_alg_values_supported: ['RS256'],
          response_types_supported: ['token'],
          subject_types_supported: ['public'],
        },
        open,
      );
      return true;
    }
    if (route !== `POST ${TOKEN_PATH}`) return false;

    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, MAX_TOKEN_REQUEST_BYTES)).toString('utf8'));
    } catch (error) {
      const message = error instanceof BodyTooLargeError ? 'body too large' : 'body is not valid JSON';
      sendJson(res, 400, { message });
      return true;
    }
    const parsed = parseWithMessages(tokenRequestSchema, body);
    if (!parsed.success) {
      sendJson(res, 400, { message: describeZodError(parsed.error) });
      return true;
    }
    sendJson(res, 200, { token: await issuer.mint(parsed.data) });
    return true;
  };
}
