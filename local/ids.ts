import { randomBytes } from 'node:crypto';

/**
 * Identifiers shaped like API Gateway's: connection ids, request ids and message ids are 16 characters of
 * base64 ending in `=` (e.g. `L0SM9cOFvHcCIhw=`). Standard base64 on purpose: `+`, `/` and `=` must
 * survive URL encoding in `/@connections/{id}`, so code that forgets to encode fails here, not in AWS.
 */
export function awsStyleId(): string {
  if (idOffset + ID_BYTES > idPool.length) {
    idPool = randomBytes(ID_BYTES * IDS_PER_POOL);
    idOffset = 0;
  }
  idOffset += ID_BYTES;
  return idPool.toString('base64', idOffset - ID_BYTES, idOffset);
}

const ID_BYTES = 11;
/**
 * Random bytes are drawn for 1,024 ids at once: every `@connections` answer carries a new request id, and
 * one `randomBytes` call a post (a system call each) took ~6 % of the emulator's thread in the fan-out bench.
 */
const IDS_PER_POOL = 1024;
let idPool = Buffer.alloc(0);
let idOffset = 0;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** API Gateway's `requestTime` / `time` format: `09/Feb/2024:18:11:43 +0000`. */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  return (
    `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}

/** The account id in ARNs: the one AWS's documentation uses in its examples. */
export const LOCAL_ACCOUNT_ID = '123456789012';
/** API ids are 10 lowercase alphanumerics in AWS. */
export const WS_API_ID = 'localwsapi';
export const HTTP_API_ID = 'localhttpa';
/** The WebSocket API's stage; the HTTP API uses `$default`, as the CDK stack does. */
export const WS_STAGE = 'local';
