import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTRACT_FILES, contractDocuments, documentText } from '../../../contract/index';
import { frameTypes, type HttpRoute, httpRoutes, webSocketRoutes } from '../../../shared/app/routes';
import { userNamespace } from '../../../shared/core/channels';
import { errorCodes } from '../../../shared/core/errors';
import { featureNamespaces, manifests } from '../../../shared/features/manifests';

/**
 * docs/openapi.json and docs/asyncapi.json: exactly what `npm run contract` produces from the code today,
 * and covering every route, frame type, namespace and error code of the route table and the registries.
 */

const root = new URL('../../../', import.meta.url);
const committed = (file: string) => readFileSync(new URL(file, root), 'utf8');
const openapi: unknown = JSON.parse(committed(CONTRACT_FILES.openapi));
const asyncapi: unknown = JSON.parse(committed(CONTRACT_FILES.asyncapi));

/** A member of a JSON document by its path (undefined where there is none). */
const at = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
    value,
  );
const keys = (value: unknown): string[] => (value && typeof value === 'object' ? Object.keys(value) : []);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const consts = (oneOf: unknown) => list(oneOf).map((c) => at(c, 'const'));

describe('the committed documents', () => {
  const generated = contractDocuments();
  it.each(Object.entries(CONTRACT_FILES))(
    '%s is what `npm run contract` writes (run it after changing a route or a schema)',
    (name, file) => {
      expect(committed(file)).toBe(documentText(generated[name as keyof typeof generated]));
    },
  );
});

describe('OpenAPI covers the route table', () => {
  it('every HTTP route is an operation, named as in the table, with its security', () => {
    const wrong = (httpRoutes as readonly HttpRoute[]).filter((r) => {
      const op = at(openapi, 'paths', r.path, r.method.toLowerCase());
      const open = list(at(op, 'security')).length === 0;
      return at(op, 'operationId') !== r.operation || (r.auth === 'none') !== open;
    });
    expect(wrong.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('documents no operation the table does not have', () => {
    const paths = at(openapi, 'paths');
    const documented = keys(paths).flatMap((path) =>
      keys(at(paths, path)).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const routes = (httpRoutes as readonly HttpRoute[]).map((r) => `${r.method} ${r.path}`);
    expect(documented.sort()).toEqual([...routes].sort());
  });

  it('errors are RFC 9457 problems (application/problem+json) carrying every protocol code', () => {
    const codes = consts(at(openapi, 'components', 'schemas', 'Problem', 'properties', 'code', 'oneOf'));
    expect(codes.sort()).toEqual(Object.keys(errorCodes).sort());
    expect(at(openapi, 'paths', '/v1/publish', 'post', 'responses', '422', '$ref')).toBe(
      '#/components/responses/Problem422',
    );
    const reused = at(
      openapi,
      'components',
      'responses',
      'Problem422',
      'content',
      'application/problem+json',
    );
    expect(consts(at(list(at(reused, 'schema', 'allOf'))[1], 'properties', 'code', 'oneOf'))).toEqual([
      'IDEMPOTENCY_KEY_REUSED',
    ]);
  });
});

describe('AsyncAPI covers the WebSocket routes', () => {
  const messages = at(asyncapi, 'components', 'messages');
  const operations = at(asyncapi, 'operations');
  const receives = keys(operations)
    .map((k) => at(operations, k))
    .filter((o) => at(o, 'action') === 'receive');

  it('every frame route of the table is a client message the server receives', () => {
    const frameRoutes = webSocketRoutes.map((r) => r.routeKey).filter((k) => !k.startsWith('$'));
    expect(frameRoutes).toEqual([...frameTypes]);
    for (const type of frameRoutes) {
      const typeField = at(messages, `client.${type}`, 'payload', 'properties', 'type');
      expect(at(typeField, 'const') ?? consts(at(typeField, 'anyOf'))[0], type).toBe(type);
      expect(
        receives.some((o) => at(o, 'x-frame-type') === type),
        type,
      ).toBe(true);
    }
  });

  it('every typeless frame (the $default route) is a client message', () => {
    const fields = Object.values(manifests).flatMap((m) => m.typeless);
    expect(fields.length).toBeGreaterThan(0);
    for (const field of fields) {
      // The frame requires its field: the payload does, or every variant of it (a discriminated union).
      const payload = at(messages, `client.untyped.${field}`, 'payload');
      const variants = [...list(at(payload, 'oneOf')), ...list(at(payload, 'anyOf'))];
      const requiring = variants.length > 0 ? variants : [payload];
      expect(
        requiring.every((v) => list(at(v, 'required')).includes(field)),
        field,
      ).toBe(true);
    }
  });

  it('$connect: its query parameters, and the refusals by status', () => {
    const socket = at(asyncapi, 'channels', 'socket');
    expect(keys(at(socket, 'bindings', 'ws', 'query', 'properties'))).toEqual([
      'token',
      'channels',
      'dialect',
    ]);
    for (const status of [400, 401, 403, 429])
      expect(String(at(socket, 'description'))).toContain(`${status} `);
  });

  it('every namespace is a channel; `error` carries the codes a WebSocket client can see', () => {
    const names = [userNamespace, ...featureNamespaces].map((n) => n.name);
    const channels = keys(at(asyncapi, 'channels')).filter((c) => c !== 'socket');
    expect(channels.sort()).toEqual([...names].sort());
    const codes = consts(at(messages, 'server.error', 'payload', 'properties', 'code', 'oneOf'));
    expect(codes).toContain('RATE_LIMITED');
    expect(codes).not.toContain('NOT_FOUND');
  });
});
