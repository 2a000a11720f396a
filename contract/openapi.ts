import { type HttpRoute, httpRoutes } from '../shared/app/routes';
import { SCOPE_ADMIN, SCOPE_PUBLISH } from '../shared/core/auth/principal';
import { errorCodes } from '../shared/core/errors';
import { codeSchema, codesWithStatus } from './errors';
import { type HttpRouteDoc, httpRouteDocs, type RouteKey } from './http';
import { type JsonSchema, jsonSchemaOf, propertiesOf } from './json-schema';

const TARGET = 'draft-2020-12';
const PROBLEM = 'application/problem+json';
const JSON_TYPE = 'application/json';
const schemaOf = (s: Parameters<typeof jsonSchemaOf>[0]) => jsonSchemaOf(s, TARGET);
const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** Every HTTP status some protocol code answers with, ascending. */
const problemStatuses = [...new Set(Object.values(errorCodes).map((e) => e.status))].sort((a, b) => a - b);

/**
 * The problems a route may answer besides its own (HttpRouteDoc.problems): every route can fail its input
 * (400) or fail (500); a route that reads a token can refuse it (401) or the caller (403); a body can be
 * too large (413); a POST can reuse a key (422) or repeat one still in progress (409).
 */
function problemsOf(route: HttpRoute, doc: HttpRouteDoc): number[] {
  const statuses = new Set([400, 500, ...(doc.problems ?? [])]);
  if (route.auth !== 'none') for (const s of [401, 403]) statuses.add(s);
  if (route.method === 'POST' || route.method === 'PUT') statuses.add(413);
  if (route.method === 'POST') for (const s of [409, 422]) statuses.add(s);
  return [...statuses].sort((a, b) => a - b);
}

function security(route: HttpRoute): Record<string, string[]>[] {
  if (route.auth === 'none') return [];
  const scoped = route.scopes?.length ? route.scopes.map((s) => ({ bearer: [s] })) : [{ bearer: [] }];
  return route.auth === 'optional' ? [{}, ...scoped] : scoped;
}

function parameters(route: HttpRoute, doc: HttpRouteDoc): JsonSchema[] {
  const path = [...route.path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: doc.params?.[name ?? ''] ? schemaOf(doc.params[name ?? '']!) : { type: 'string' },
  }));
  const query = doc.query
    ? propertiesOf(schemaOf(doc.query)).map(([name, schema, required]) => ({
        name,
        in: 'query',
        required,
        schema,
      }))
    : [];
  const headers =
    route.method === 'POST'
      ? [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description:
              'Makes the request idempotent for 24 hours, scoped by method, path and caller: a repeat answers the first answer with `Idempotent-Replayed: true`; another body with the key answers 422 IDEMPOTENCY_KEY_REUSED.' +
              (route.idempotencyKeyField
                ? ` Without it, the body's \`${route.idempotencyKeyField}\` is the key.`
                : ''),
            schema: { type: 'string', minLength: 1, maxLength: 255 },
          },
        ]
      : [];
  return [...path, ...query, ...headers];
}

function operation(route: HttpRoute, doc: HttpRouteDoc): JsonSchema {
  const success: Record<string, JsonSchema> = {
    [doc.status]: {
      description: doc.summary,
      ...(doc.response ? { content: { [JSON_TYPE]: { schema: schemaOf(doc.response) } } } : {}),
      ...(route.method === 'POST'
        ? { headers: { 'Idempotent-Replayed': ref('headers', 'IdempotentReplayed') } }
        : {}),
    },
  };
  for (const [status, also] of Object.entries(doc.also ?? {})) {
    success[status] = {
      description: also.description,
      content: { [JSON_TYPE]: { schema: schemaOf(also.response) } },
    };
  }
  const problems = Object.fromEntries(
    problemsOf(route, doc).map((s) => [String(s), ref('responses', `Problem${s}`)]),
  );
  const params = parameters(route, doc);
  return {
    operationId: route.operation,
    tags: [route.lambda.replace(/^http-/, '')],
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    security: security(route),
    ...(params.length ? { parameters: params } : {}),
    ...(doc.body
      ? { requestBody: { required: true, content: { [JSON_TYPE]: { schema: schemaOf(doc.body) } } } }
      : {}),
    responses: { ...success, ...problems },
    ...(route.maxBodyBytes ? { 'x-max-body-bytes': route.maxBodyBytes } : {}),
  };
}

/** The problem responses, one per status, each naming the codes that answer with it. */
function problemResponses(): Record<string, JsonSchema> {
  return Object.fromEntries(
    problemStatuses.map((status) => {
      const codes = codesWithStatus(status);
      const problem = {
        allOf: [ref('schemas', 'Problem'), { properties: { code: codeSchema(codes) } }],
      };
      const gateway = status === 401 || status === 403 || status === 413;
      return [
        `Problem${status}`,
        {
          description: `${codes.map((c) => errorCodes[c].title).join(', ')} (${codes.join(', ')})${
            gateway ? '; or API Gateway\'s own refusal, `{"message": …}`' : ''
          }`,
          ...(codes.some((c) => c === 'IDEMPOTENCY_KEY_IN_USE')
            ? { headers: { 'Retry-After': ref('headers', 'RetryAfter') } }
            : {}),
          content: {
            [PROBLEM]: { schema: problem },
            ...(gateway ? { [JSON_TYPE]: { schema: ref('schemas', 'GatewayMessage') } } : {}),
          },
        },
      ];
    }),
  );
}

/** The OpenAPI 3.1 document of the HTTP API, from the route table and the operations' own schemas. */
export function openApiDocument(version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const ids = new Set<string>();
  for (const route of httpRoutes as readonly HttpRoute[]) {
    const doc = httpRouteDocs[`${route.method} ${route.path}` as RouteKey];
    if (!doc) throw new Error(`no contract for ${route.method} ${route.path} (contract/http.ts)`);
    if (ids.has(route.operation)) throw new Error(`operation name "${route.operation}" is used twice`);
    ids.add(route.operation);
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(route, doc);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard HTTP API',
      version,
      description:
        'Server-to-server publishing, history and presence, chats, IoT, counters and admin (docs/PROTOCOL.md section 5). Errors are RFC 9457 problems with the protocol `code`. Generated by `npm run contract` from the route table and the schemas the handlers validate with.',
    },
    servers: [
      {
        url: 'https://{httpApiId}.execute-api.{region}.amazonaws.com',
        description: 'AWS (the stack output HttpApiUrl)',
        variables: { httpApiId: { default: 'abc123' }, region: { default: 'eu-west-1' } },
      },
      {
        url: 'http://localhost:{port}',
        description: 'The local stack (npm start)',
        variables: { port: { default: '8080' } },
      },
    ],
    tags: [...new Set((httpRoutes as readonly HttpRoute[]).map((r) => r.lambda.replace(/^http-/, '')))].map(
      (name) => ({ name }),
    ),
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: `A JWT of the stack's issuer. Service callers hold the scope \`${SCOPE_PUBLISH}\` or \`${SCOPE_ADMIN}\` (which may do everything the first may), in the token's \`scope\` (space-separated) or \`scp\` claim; the scopes listed on an operation are alternatives.`,
        },
      },
      headers: {
        RetryAfter: {
          description: 'seconds to wait before sending the same request again (IDEMPOTENCY_KEY_IN_USE)',
          schema: { type: 'integer', minimum: 0 },
        },
        IdempotentReplayed: {
          description: 'true when this is the stored answer of an earlier request with the same key',
          schema: { type: 'string', enum: ['true'] },
        },
      },
      schemas: {
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details, with the protocol `code` as an extension member',
          required: ['type', 'title', 'status', 'detail', 'code'],
          properties: {
            type: { type: 'string', description: '`urn:switchboard:problem:{code}`' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: codeSchema(Object.keys(errorCodes) as (keyof typeof errorCodes)[]),
            instance: { type: 'string', description: 'the request path' },
            retry_after_ms: {
              type: 'integer',
              minimum: 0,
              description:
                'the same request may succeed when sent again after this long (IDEMPOTENCY_KEY_IN_USE)',
            },
          },
        },
        GatewayMessage: {
          type: 'object',
          description:
            "API Gateway's own answer (its JWT authorizer, its body limit): not a problem document",
          required: ['message'],
          properties: { message: { type: 'string' } },
        },
      },
      responses: problemResponses(),
    },
  };
}
