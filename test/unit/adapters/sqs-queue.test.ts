import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { batchesOf, SqsFanOutQueue } from '../../../shared/adapters/sqs/fan-out-queue';
import { FAN_OUT_MESSAGE_MAX_BYTES } from '../../../shared/core/ports';
import {
  type ManagementApiStub,
  type StubAnswer,
  startManagementApiStub,
} from '../../support/management-api-stub';
import { expectSignedBy } from '../../support/sigv4-check';

/**
 * The fan-out queue against a loopback server that answers SendMessageBatch as SQS does (AWS JSON 1.0):
 * the signed requests, the batches, SQS's partial failures, and the SDK's retries of a throttled request.
 */
let sqs: ManagementApiStub;
let queueUrl: string;
beforeAll(async () => {
  sqs = await startManagementApiStub();
  queueUrl = `${new URL(sqs.endpoint).origin}/123456789012/fan-out`;
});
afterAll(() => sqs.close());
afterEach(() => {
  sqs.requests.length = 0;
  sqs.answer = allTaken;
});

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const queues: SqsFanOutQueue[] = [];
afterEach(() => {
  for (const q of queues.splice(0)) q.destroy();
});
const queue = () => {
  const q = new SqsFanOutQueue({ queueUrl, region: 'us-east-1', credentials });
  queues.push(q);
  return q;
};

type Entries = { Id: string; MessageBody: string; DelaySeconds?: number }[];
interface BatchInput {
  QueueUrl: string;
  Entries: Entries;
}
const inputOf = (i: number) => JSON.parse(sqs.requests[i]!.body) as BatchInput;
const entriesOf = (i: number) => inputOf(i).Entries;
const json = (body: unknown, status = 200): StubAnswer => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': 'r1' },
  body: JSON.stringify(body),
});
/** SQS's answer when it took every entry. */
const allTaken = (req: { body: string }) =>
  json({
    Successful: (JSON.parse(req.body) as BatchInput).Entries.map((e) => ({
      Id: e.Id,
      MessageId: `m-${e.Id}`,
      MD5OfMessageBody: '',
    })),
  });

describe('The fan-out queue on SQS', () => {
  it('sends signed SendMessageBatch requests (AWS JSON 1.0) to the queue URL’s origin', async () => {
    await queue().send(['m0']);
    const [req] = sqs.requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/');
    expect(req?.headers['x-amz-target']).toBe('AmazonSQS.SendMessageBatch');
    expect(req?.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(inputOf(0)).toEqual({ QueueUrl: queueUrl, Entries: [{ Id: '0', MessageBody: 'm0' }] });
    await expectSignedBy(req!, { region: 'us-east-1', service: 'sqs', credentials });
  });

  it('sends in batches of at most 10 entries and 256 KiB, in order, with the delay asked for', async () => {
    const small = Array.from({ length: 23 }, (_, i) => `m${i}`);
    await queue().send(small, { delaySeconds: 4 });
    expect(sqs.requests).toHaveLength(3);
    const inputs = [0, 1, 2].map(inputOf);
    expect(inputs.map((input) => input.Entries.length).sort()).toEqual([10, 10, 3]);
    expect(inputs.every((input) => input.QueueUrl === queueUrl)).toBe(true);
    // Up to four requests are in flight at once: put them back in the order of their first body.
    const byFirst = inputs.sort(
      (a, b) => Number(a.Entries[0]!.MessageBody.slice(1)) - Number(b.Entries[0]!.MessageBody.slice(1)),
    );
    expect(byFirst.flatMap((input) => input.Entries.map((e) => e.MessageBody))).toEqual(small);
    expect(byFirst[0]!.Entries[0]).toEqual({ Id: '0', MessageBody: 'm0', DelaySeconds: 4 });

    const big = 'x'.repeat(100 * 1024);
    expect(batchesOf([big, big, big, 'y']).map((b) => b.length)).toEqual([2, 2]);
    expect(() => batchesOf(['z'.repeat(FAN_OUT_MESSAGE_MAX_BYTES + 1)])).toThrow(RangeError);
  });

  it('sends again the entries SQS failed on its side, and throws for those it refused', async () => {
    let calls = 0;
    sqs.answer = (req) =>
      ++calls === 1
        ? json({
            Successful: [{ Id: '0', MessageId: 'a', MD5OfMessageBody: '' }],
            Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError', Message: 'try again' }],
          })
        : allTaken(req);
    await queue().send(['first', 'second']);
    expect(sqs.requests).toHaveLength(2);
    expect(entriesOf(1)).toEqual([{ Id: '1', MessageBody: 'second' }]);

    sqs.requests.length = 0;
    sqs.answer = () =>
      json({
        Successful: [],
        Failed: [
          {
            Id: '0',
            SenderFault: true,
            Code: 'InvalidMessageContents',
            Message: 'Invalid characters found.',
          },
        ],
      });
    await expect(queue().send(['\u0000'])).rejects.toThrow(/did not take 1 of 1 .*InvalidMessageContents/);
    expect(sqs.requests).toHaveLength(1);
  });

  it('gives up after three tries of an entry SQS keeps failing', async () => {
    sqs.answer = () =>
      json({ Successful: [], Failed: [{ Id: '0', SenderFault: false, Code: 'InternalError' }] });
    await expect(queue().send(['m'])).rejects.toThrow(/InternalError/);
    expect(sqs.requests).toHaveLength(3);
  });

  it('tries a throttled request again, as the SDK does, then sends the rest', async () => {
    let calls = 0;
    sqs.answer = (req) =>
      ++calls === 1
        ? json({ __type: 'com.amazonaws.sqs#RequestThrottled', message: 'slow down' }, 400)
        : allTaken(req);
    await queue().send(['m']);
    expect(sqs.requests).toHaveLength(2);
    expect(entriesOf(1)).toEqual(entriesOf(0));
    for (const req of sqs.requests) {
      await expectSignedBy(req, { region: 'us-east-1', service: 'sqs', credentials });
    }
  });

  it('throws the service’s error for a request SQS refuses', async () => {
    sqs.answer = () =>
      json(
        { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' },
        400,
      );
    await expect(queue().send(['m'])).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
      message: 'The specified queue does not exist.',
      $metadata: { httpStatusCode: 400 },
    });
    expect(sqs.requests).toHaveLength(1);
  });
});
