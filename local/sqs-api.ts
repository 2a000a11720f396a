import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalCredentials } from './credentials';
import { BodyTooLargeError, readBody } from './http-util';
import { awsStyleId, LOCAL_ACCOUNT_ID } from './ids';
import type { LocalQueue } from './queues';
import { signedRequest, verifySigV4 } from './sigv4';

/**
 * SQS's API on its own port, as far as senders use it: the JSON protocol `@aws-sdk/client-sqs` speaks
 * (`POST /`, `X-Amz-Target: AmazonSQS.{operation}`, `application/x-amz-json-1.0`), SigV4-signed with the
 * stack's credentials for service `sqs` (sigv4.ts; refused 403 otherwise). SendMessage and
 * SendMessageBatch with SQS's limits (10 entries, 256 KiB per message and per batch, distinct entry ids,
 * the characters a message may hold, a delay of 0–900 s); GetQueueUrl and GetQueueAttributes (the
 * message counts) for a look at a queue. Receiving is the event source mapping's (queues.ts): the other
 * operations answer UnsupportedOperation. Queues are known by name: `{url}/{account}/{name}`.
 */
export const SQS_MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_BATCH_ENTRIES = 10;
const MAX_DELAY_SECONDS = 900;
/** A request of 10 messages of 256 KiB, JSON-escaped: generous, the batch limit is checked on the bodies. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** The characters SQS allows in a message (#x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF). */
const INVALID_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

export interface SqsApiOptions {
  queues: ReadonlyMap<string, LocalQueue>;
  credentials: LocalCredentials;
  region: string;
}

/** A queue's URL on the emulator at `baseUrl` (`http://127.0.0.1:{port}`). */
export const queueUrl = (baseUrl: string, name: string): string => `${baseUrl}/${LOCAL_ACCOUNT_ID}/${name}`;

class SqsError extends Error {
  constructor(
    readonly status: number,
    /** The JSON protocol's `__type`, e.g. `com.amazonaws.sqs#QueueDoesNotExist`. */
    readonly type: string,
    /** The query protocol's code, which the SDK reads in query-compatible mode (`x-amzn-query-error`). */
    readonly queryCode: string,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (message: string) =>
  new SqsError(400, 'com.amazonaws.sqs#InvalidParameterValue', 'InvalidParameterValue', message);

export function createSqsApi(options: SqsApiOptions) {
  const scope = { credentials: options.credentials, region: options.region, service: 'sqs' };

  const queueOf = (input: Record<string, unknown>): LocalQueue => {
    const url = input.QueueUrl;
    const path = typeof url === 'string' && URL.canParse(url) ? new URL(url).pathname : '';
    const [, account, name] = path.split('/');
    const queue = account === LOCAL_ACCOUNT_ID && name ? options.queues.get(name) : undefined;
    if (!queue) {
      throw new SqsError(
        400,
        'com.amazonaws.sqs#QueueDoesNotExist',
        'AWS.SimpleQueueService.NonExistentQueue',
        'The specified queue does not exist.',
      );
    }
    return queue;
  };

  const operations: Record<string, (input: Record<string, unknown>, host: string) => unknown> = {
    SendMessage(input) {
      const queue = queueOf(input);
      const body = messageBody(input.MessageBody);
      if (INVALID_CHARACTER.test(body)) {
        throw new SqsError(
          400,
          'com.amazonaws.sqs#InvalidMessageContents',
          'InvalidMessageContents',
          'Invalid characters found.',
        );
      }
      const { messageId, md5 } = queue.send(body, delayOf(input.DelaySeconds));
      return { MessageId: messageId, MD5OfMessageBody: md5 };
    },
    SendMessageBatch(input) {
      const queue = queueOf(input);
      const entries = Array.isArray(input.Entries) ? (input.Entries as Record<string, unknown>[]) : [];
      if (entries.length === 0) {
        throw new SqsError(
          400,
          'com.amazonaws.sqs#EmptyBatchRequest',
          'AWS.SimpleQueueService.EmptyBatchRequest',
          'There should be at least one SendMessageBatchRequestEntry in the request.',
        );
      }
      if (entries.length > MAX_BATCH_ENTRIES) {
        throw new SqsError(
          400,
          'com.amazonaws.sqs#TooManyEntriesInBatchRequest',
          'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
          `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
        );
      }
      const ids = entries.map((e) => e.Id);
      if (ids.some((id) => typeof id !== 'string' || !ENTRY_ID.test(id))) {
        throw new SqsError(
          400,
          'com.amazonaws.sqs#InvalidBatchEntryId',
          'AWS.SimpleQueueService.InvalidBatchEntryId',
          'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
        );
      }
      if (new Set(ids).size !== ids.length) {
        throw new SqsError(
          400,
          'com.amazonaws.sqs#BatchEntryIdsNotDistinct',
          'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
          'Two or more batch entries in the request have the same Id.',
        );
      }
      const bodies = entries.map((e) => messageBody(e.MessageBody));
      const total = bodies.reduce((sum, b) => sum + Buffer.byteLength(b), 0);
      if (total > SQS_MAX_MESSAGE_BYTES) {
        throw new SqsError(
          400,
          'com.amazonaws.sqs#BatchRequestTooLong',
          'AWS.SimpleQueueService.BatchRequestTooLong',
          `Batch requests cannot be longer than ${SQS_MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`,
        );
      }
      const delays = entries.map((e) => delayOf(e.DelaySeconds));
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      entries.forEach((entry, i) => {
        const body = bodies[i]!;
        if (INVALID_CHARACTER.test(body)) {
          Failed.push({
            Id: entry.Id,
            SenderFault: true,
            Code: 'InvalidMessageContents',
            Message: 'Invalid characters found.',
          });
          return;
        }
        const { messageId, md5 } = queue.send(body, delays[i]);
        Successful.push({ Id: entry.Id, MessageId: messageId, MD5OfMessageBody: md5 });
      });
      return { Successful, Failed };
    },
    GetQueueUrl(input, host) {
      const url = queueUrl(`http://${host}`, typeof input.QueueName === 'string' ? input.QueueName : '');
      queueOf({ QueueUrl: url }); // QueueDoesNotExist for a name the stack has no queue of
      return { QueueUrl: url };
    },
    GetQueueAttributes(input) {
      const queue = queueOf(input);
      const { visible, notVisible } = queue.counts();
      return {
        Attributes: {
          QueueArn: queue.arn,
          ApproximateNumberOfMessages: String(visible),
          ApproximateNumberOfMessagesNotVisible: String(notVisible),
          VisibilityTimeout: String(Math.round(queue.options.visibilityTimeoutMs / 1000)),
        },
      };
    },
  };

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method !== 'POST') throw unknownOperation();
      let payload: Buffer;
      try {
        payload = await readBody(req, MAX_REQUEST_BYTES);
      } catch (e) {
        if (!(e instanceof BodyTooLargeError)) throw e;
        throw invalid('The request is too large.');
      }
      const signature = verifySigV4(signedRequest(req), payload, scope);
      if (!signature.ok) {
        throw new SqsError(
          403,
          `com.amazon.coral.service#${signature.type}`,
          signature.type,
          signature.message,
        );
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
      const run = operations[operation];
      if (!run) {
        if (/^[A-Z][A-Za-z]+$/.test(operation)) {
          throw new SqsError(
            400,
            'com.amazonaws.sqs#UnsupportedOperation',
            'AWS.SimpleQueueService.UnsupportedOperation',
            `${operation} is not emulated: the local stack's event source mapping receives from its queues`,
          );
        }
        throw unknownOperation();
      }
      let input: unknown;
      try {
        input = JSON.parse(payload.toString('utf8'));
      } catch {
        throw new SqsError(
          400,
          'com.amazon.coral.service#SerializationException',
          'SerializationException',
          'Invalid JSON.',
        );
      }
      if (typeof input !== 'object' || input === null) throw invalid('The request must be a JSON object.');
      send(res, 200, run(input as Record<string, unknown>, String(req.headers.host ?? '127.0.0.1')));
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      send(
        res,
        error.status,
        { __type: error.type, message: error.message },
        {
          'x-amzn-query-error': `${error.queryCode};Sender`,
          'x-amzn-ErrorType': error.type.split('#')[1] ?? error.type,
        },
      );
    }
  };
}

const unknownOperation = () =>
  new SqsError(
    400,
    'com.amazon.coral.service#UnknownOperationException',
    'UnknownOperationException',
    'Unknown operation.',
  );

function messageBody(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new SqsError(
      400,
      'com.amazonaws.sqs#MissingParameter',
      'MissingParameter',
      'The request must contain the parameter MessageBody.',
    );
  }
  if (Buffer.byteLength(value) > SQS_MAX_MESSAGE_BYTES) {
    throw invalid(
      `One or more parameters are invalid. Reason: Message must be shorter than ${SQS_MAX_MESSAGE_BYTES} bytes.`,
    );
  }
  return value;
}

function delayOf(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_DELAY_SECONDS) {
    throw invalid(
      `Value ${String(value)} for parameter DelaySeconds is invalid. Reason: must be between 0 and ${MAX_DELAY_SECONDS}, if provided.`,
    );
  }
  return value;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-RequestId': awsStyleId(),
    ...headers,
  });
  res.end(text);
}
