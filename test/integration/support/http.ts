/** A reply of the HTTP API: status, headers, and the JSON body (empty object when there was none). */
export interface Reply {
  status: number;
  headers: Headers;
  contentType: string | null;
  body: Record<string, unknown>;
}

/** One call of the HTTP API at `base`, with a bearer token and a JSON body when given. */
export async function api(
  base: string,
  method: string,
  path: string,
  options: { bearer?: string | undefined; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.bearer ? { authorization: `Bearer ${options.bearer}` } : {}),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    contentType: res.headers.get('content-type'),
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}
