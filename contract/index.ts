import { readFileSync } from 'node:fs';
import { asyncApiDocument } from './asyncapi';
import { openApiDocument } from './openapi';

/**
 * The contract as machine-readable documents: docs/openapi.json (the HTTP API) and docs/asyncapi.json (the
 * WebSocket API), generated from the route table and the schemas the handlers validate with. `npm run
 * contract` writes them; the local stack serves the same at GET /openapi.json and /asyncapi.json; a unit
 * test fails when the committed files differ from what this produces.
 */
export const CONTRACT_FILES = { openapi: 'docs/openapi.json', asyncapi: 'docs/asyncapi.json' } as const;

const packageVersion = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;

export function contractDocuments(): Record<keyof typeof CONTRACT_FILES, object> {
  const version = packageVersion();
  return { openapi: openApiDocument(version), asyncapi: asyncApiDocument(version) };
}

/** A document as the files hold it: two-space JSON and a final newline. */
export const documentText = (document: object): string => `${JSON.stringify(document, null, 2)}\n`;
