import type { IncomingMessage, ServerResponse } from 'node:http';
import { closes } from './close-codes';
import type { ConnectionRegistry } from './connection-registry';
import type { LocalCredentials } from './credentials';
import { BodyTooLargeError, readBody, sendJson } from './http-util';
import { awsStyleId, WS_STAGE } from './ids';
import { WS_LIMITS } from './limits';
import { signedRequest, verifySigV4 } from './sigv4';

/**
 * The Management API of the stage: `POST|GET|DELETE /local/@connections/{id}`, answering what
 * `@aws-sdk/client-apigatewaymanagementapi` expects so that it works unchanged. Every call must be
 * SigV4-signed with the stack's credentials for service `execute-api` (403 as AWS answers otherwise:
 * see sigv4.ts); then 410 GoneException for an unknown connection and for one still inside `$connect`,
 * 413 past 128 KB, 429 LimitExceededException while the connection's unsent data is over
 * `maxBufferedBytes` (a client that does not read), GET as `{connectedAt, identity, lastActiveAt}`.
 */
export const CONNECTIONS_PREFIX = `/${WS_STAGE}/@connections/`;

export interface ConnectionsApiOptions {
  registry: ConnectionRegistry;
  credentials: LocalCredentials;
  region: string;
  /** Unsent bytes one connection may hold; a post beyond them answers 429 and sends nothing. */
  maxBufferedBytes: number;
}

export function createConnectionsApi(options: ConnectionsApiOptions) {
  const { registry, maxBufferedBytes } = options;
  const scope = { credentials: options.credentials, region: options.region, service: 'execute-api' };

  return async function handle(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    if (req.headers.authorization === undefined) return missingToken(res);
    const encoded = rawPath.slice(CONNECTIONS_PREFIX.length);
    const id = decodeId(encoded);
    if (id === null || encoded.includes('/') || !['POST', 'GET', 'DELETE'].includes(req.method ?? '')) {
      return missingToken(res);
    }
    let body: Buffer;
    try {
      body = await readBody(req, WS_LIMITS.maxMessageBytes);
    } catch (e) {
      if (!(e instanceof BodyTooLargeError)) throw e;
      return error(res, 413, 'PayloadTooLargeException', 'Message too long');
    }
    const signature = verifySigV4(signedRequest(req), body, scope);
    if (!signature.ok) return error(res, 403, signature.type, signature.message);

    const connection = registry.open(id);
    if (!connection) return error(res, 410, 'GoneException', 'Gone');
    switch (req.method) {
      case 'POST': {
        // API Gateway: "the WebSocket client side buffer is full" is a 429 LimitExceededException; the
        // connection stays open, and the data of that post is not sent.
        if (connection.socket.bufferedBytes + body.length > maxBufferedBytes) {
          return error(res, 429, 'LimitExceededException', 'Limit Exceeded');
        }
        connection.socket.send(body);
        registry.noteBuffered(connection.socket.bufferedBytes);
        return sendJson(res, 200, undefined, requestIdHeader());
      }
      case 'GET':
        return sendJson(
          res,
          200,
          {
            connectedAt: new Date(connection.connectedAt).toISOString(),
            identity: {
              sourceIp: connection.identity.sourceIp,
              ...(connection.identity.userAgent ? { userAgent: connection.identity.userAgent } : {}),
            },
            lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
          },
          requestIdHeader(),
        );
      default:
        connection.socket.close(closes.deleted);
        return sendJson(res, 204, undefined, requestIdHeader());
    }
  };
}

function decodeId(encoded: string): string | null {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return null;
  }
}

/** The SDK picks the exception class from `x-amzn-ErrorType`. */
function error(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { message }, { 'x-amzn-ErrorType': type, ...requestIdHeader() });
}

const missingToken = (res: ServerResponse) =>
  error(res, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');

const requestIdHeader = () => ({ 'x-amzn-RequestId': awsStyleId() });
