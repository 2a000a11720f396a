import type { ServerResponse } from 'node:http';
import { type CONTRACT_FILES, contractDocuments, documentText } from '../contract/index';
import { sendJson } from './http-util';
import type { RequestParts } from './request-parts';

type DocumentName = keyof typeof CONTRACT_FILES;

/** Where the local stack serves the contract documents. */
export const CONTRACT_PATHS: Readonly<Record<string, DocumentName>> = {
  '/openapi.json': 'openapi',
  '/asyncapi.json': 'asyncapi',
};

/**
 * `GET /openapi.json` and `GET /asyncapi.json`: the documents generated from this very code, byte for byte
 * what `npm run contract` writes to docs/ (a unit test keeps the committed files so), built on the first
 * request. False for any other request.
 */
export function createContractRoutes() {
  let texts: Record<DocumentName, string> | undefined;
  return function serve(res: ServerResponse, request: RequestParts): boolean {
    const name = Object.hasOwn(CONTRACT_PATHS, request.rawPath) ? CONTRACT_PATHS[request.rawPath] : undefined;
    if (!name) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendJson(res, 405, { message: 'Method Not Allowed' }, { allow: 'GET, HEAD' });
      return true;
    }
    if (!texts) {
      const documents = contractDocuments();
      texts = { openapi: documentText(documents.openapi), asyncapi: documentText(documents.asyncapi) };
    }
    const text = texts[name];
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'access-control-allow-origin': '*',
      'cache-control': 'no-cache',
    });
    res.end(request.method === 'HEAD' ? undefined : text);
    return true;
  };
}
