/** One HTTP/1.1 request as a test server reads it: its head (without the blank line) and its body. */
export interface RawRequest {
  head: string;
  body: string;
}

/**
 * The whole requests at the start of `buffer` (a head, then a content-length body), and the bytes after
 * them (a request still arriving): the framing the raw test servers of the HTTP client read with.
 */
export function takeRequests(buffer: Buffer): { requests: RawRequest[]; rest: Buffer } {
  const requests: RawRequest[] = [];
  let rest = buffer;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) break;
    const head = rest.toString('latin1', 0, end);
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    if (rest.length < end + 4 + length) break;
    requests.push({ head, body: rest.toString('utf8', end + 4, end + 4 + length) });
    rest = rest.subarray(end + 4 + length);
  }
  return { requests, rest };
}
