import type { IncomingMessage, ServerResponse } from 'node:http';
import { closes } from './close-codes';
import type { ConnectionRegistry } from './connection-registry';
import { BodyTooLargeError, readBody, sendJson } from './http-util';
import { awsStyleId, WS_STAGE } from './ids';
import { WS_LIMITS } from './limits';

/**
 * The Management API of the stage: `POST|GET|DELETE /local/@connections/{id}`, answering what
 * `@aws-sdk/client-apigatewaymanagementapi` expects so that it works unchanged: SigV4-signed requests
 * (the signature is not checked: any credentials do), 410 GoneException for an unknown connection and for
 * one still inside `$connect`, 413 past 128 KB, GET as `{connectedAt, identity, lastActiveAt}`.
 */
export const CONNECTIONS_PREFIX = `/${WS_STAGE}/@connections/`;

export function createConnectionsApi(registry: ConnectionRegistry) {
  return async function handle(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    const authorization = req.headers.authorization ?? '';
    if (!authorization.startsWith('AWS4-HMAC-SHA256 ')) {
      return error(res, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    const encoded = rawPath.slice(CONNECTIONS_PREFIX.length);
    const id = decodeId(encoded);
    if (id === null || encoded.includes('/')) {
      return error(res, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    }

    switch (req.method) {
      case 'POST': {
        let data: Buffer;
        try {
          data = await readBody(req, WS_LIMITS.maxMessageBytes);
        } catch (e) {
          if (!(e instanceof BodyTooLargeError)) throw e;
          return error(res, 413, 'PayloadTooLargeException', 'Message too long');
        }
        const connection = registry.open(id);
        if (!connection) return gone(res);
        connection.socket.send(data);
        return sendJson(res, 200, undefined, requestIdHeader());
      }
      case 'GET': {
        const connection = registry.open(id);
        if (!connection) return gone(res);
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
      }
      case 'DELETE': {
        const connection = registry.open(id);
        if (!connection) return gone(res);
        connection.socket.close(closes.deleted);
        return sendJson(res, 204, undefined, requestIdHeader());
      }
      default:
        return error(res, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
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

const requestIdHeader = () => ({ 'x-amzn-RequestId': awsStyleId() });

const gone = (res: ServerResponse) => error(res, 410, 'GoneException', 'Gone');
