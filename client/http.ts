import { SwitchboardError } from './codes';

/** The part of `fetch` the client uses: the global one, or any that fits (tests, a proxy, retries). */
export type FetchLike = (
  url: string,
  init?: { headers?: Record<string, string>; mode?: 'no-cors'; cache?: 'no-store'; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; statusText?: string; json(): Promise<unknown> }>;

interface Problem {
  code?: string;
  title?: string;
  detail?: string;
}

/**
 * GET on the HTTP API with the connection's token as `Bearer`. A failure becomes a SwitchboardError with
 * the problem document's `code` (RFC 9457, PROTOCOL.md section 5) and the HTTP status, or `HTTP` when the
 * answer is not one (network, CORS, a proxy's page).
 */
export async function getJson<T>(fetch: FetchLike, url: string, token: string | null): Promise<T> {
  let res: Awaited<ReturnType<FetchLike>>;
  try {
    res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  } catch (error) {
    throw new SwitchboardError('HTTP', `GET ${url} failed: ${(error as Error).message}`);
  }
  const body = (await res.json().catch(() => null)) as (T & Problem) | null;
  if (res.ok && body) return body;
  throw new SwitchboardError(
    (body?.code ?? 'HTTP') as SwitchboardError['code'],
    body?.detail ?? body?.title ?? `GET ${url}: HTTP ${res.status} ${res.statusText ?? ''}`.trim(),
    { status: res.status },
  );
}
