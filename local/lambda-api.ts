import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LambdaName } from '../shared/app/routes';
import type { LocalCredentials } from './credentials';
import type { Invoker } from './handlers';
import { BodyTooLargeError, readBody, sendJson } from './http-util';
import { awsStyleId, LOCAL_ACCOUNT_ID } from './ids';
import { errorText, type LocalLog } from './log';
import { signedRequest, verifySigV4 } from './sigv4';

/**
 * Lambda's Invoke API, as far as handlers use it to start each other (`@aws-sdk/client-lambda`
 * InvokeCommand against LAMBDA_ENDPOINT): `POST /2015-03-31/functions/{name}/invocations`.
 * `X-Amz-Invocation-Type: Event` answers 202 at once and runs the handler in the background through the
 * same invoker as every other invocation; `RequestResponse` (the default) answers 200 with its result, or
 * with `X-Amz-Function-Error: Unhandled`; `DryRun` answers 204. Functions are known by their route-table
 * names (which the local stack puts in the variables that name them), or an ARN ending in one.
 * Calls are SigV4-signed with the stack's credentials for service `lambda`, and refused 403 as AWS does
 * otherwise (sigv4.ts). Not emulated: the retries of failed asynchronous invocations (the CDK stack turns
 * them off too), qualifiers and aliases (ignored).
 */
export const LAMBDA_INVOKE_PREFIX = '/2015-03-31/functions/';
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** Lambda's payload limits: 256 KB for an asynchronous invocation, 6 MB for a synchronous one. */
const MAX_EVENT_PAYLOAD = 256 * 1024;
const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;

export interface LambdaApiOptions {
  invoker: Invoker;
  /** The Lambdas this stack mounts. */
  functions: ReadonlySet<LambdaName>;
  region: string;
  credentials: LocalCredentials;
  log: LocalLog;
}

export function createLambdaApi(options: LambdaApiOptions) {
  const { invoker, functions, region, log } = options;
  const scope = { credentials: options.credentials, region, service: 'lambda' };

  return async function handle(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    const match = INVOKE_PATH.exec(rawPath);
    if (req.method !== 'POST' || !match) {
      return error(res, 404, 'UnknownOperationException', 'Unknown operation');
    }
    if (req.headers.authorization === undefined) {
      return error(res, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    let payload: Buffer;
    try {
      payload = await readBody(req, type === 'Event' ? MAX_EVENT_PAYLOAD : MAX_SYNC_PAYLOAD);
    } catch (e) {
      if (!(e instanceof BodyTooLargeError)) throw e;
      return error(res, 413, 'RequestTooLargeException', 'Request must be smaller than the payload limit');
    }
    // Authentication before anything about the function: an unsigned caller learns nothing.
    const signature = verifySigV4(signedRequest(req), payload, scope);
    if (!signature.ok) return error(res, 403, signature.type, signature.message);
    const requested = decode(match[1]!);
    const lambda = functionNamed(requested, functions);
    if (!lambda) {
      const arn = `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${requested}`;
      return error(res, 404, 'ResourceNotFoundException', `Function not found: ${arn}`);
    }
    if (!['Event', 'RequestResponse', 'DryRun'].includes(type)) {
      return error(res, 400, 'InvalidParameterValueException', `Invalid invocation type: ${type}`);
    }
    let event: unknown = {};
    if (payload.length > 0) {
      try {
        event = JSON.parse(payload.toString('utf8'));
      } catch {
        return error(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
      }
    }

    const requestId = { 'x-amzn-RequestId': awsStyleId() };
    if (type === 'DryRun') return sendJson(res, 204, undefined, requestId);
    if (type === 'Event') {
      invoker
        .invoke(lambda, event, 'background')
        .catch((e: unknown) => log.error(`asynchronous invocation of ${lambda} failed: ${errorText(e)}`));
      return sendJson(res, 202, undefined, requestId);
    }
    const executed = { ...requestId, 'X-Amz-Executed-Version': '$LATEST' };
    try {
      const result = await invoker.invoke(lambda, event);
      const text = JSON.stringify(result ?? null);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        ...executed,
      });
      res.end(text);
    } catch (e) {
      const failure = e instanceof Error ? e : new Error(String(e));
      sendJson(
        res,
        200,
        { errorType: failure.name, errorMessage: failure.message, trace: [] },
        { ...executed, 'X-Amz-Function-Error': 'Unhandled' },
      );
    }
  };
}

/** `name`, `name:qualifier`, `{account}:function:name` or the full ARN, as the Invoke API accepts them. */
export function functionNamed(requested: string, functions: ReadonlySet<LambdaName>): LambdaName | null {
  const afterFunction = requested.includes(':function:') ? requested.split(':function:')[1]! : requested;
  const name = afterFunction.split(':')[0]!;
  return (functions as ReadonlySet<string>).has(name) ? (name as LambdaName) : null;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The SDK picks the exception class from `x-amzn-ErrorType`. */
function error(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(
    res,
    status,
    { Type: 'User', message },
    { 'x-amzn-ErrorType': type, 'x-amzn-RequestId': awsStyleId() },
  );
}
