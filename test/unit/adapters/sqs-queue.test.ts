import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { batchesOf, SqsFanOutQueue } from '../../../shared/adapters/sqs/fan-out-queue';
import { FAN_OUT_MESSAGE_MAX_BYTES } from '../../../shared/core/ports';

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/fan-out';
const queue = () =>
  new SqsFanOutQueue({
    queueUrl: QUEUE_URL,
    region: 'us-east-1',
    client: new SQSClient({ region: 'us-east-1' }),
  });

type Entries = { Id: string; MessageBody: string; DelaySeconds?: number }[];
const entriesOf = (i: number) =>
  sqs.commandCalls(SendMessageBatchCommand)[i]!.args[0].input.Entries as Entries;

describe('The fan-out queue on SQS', () => {
  it('sends in batches of at most 10 entries and 256 KiB, in order, with the delay asked for', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const small = Array.from({ length: 23 }, (_, i) => `m${i}`);
    await queue().send(small, { delaySeconds: 4 });
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    expect(calls.every((c) => c.args[0].input.QueueUrl === QUEUE_URL)).toBe(true);
    expect([0, 1, 2].flatMap((i) => entriesOf(i).map((e) => e.MessageBody))).toEqual(small);
    expect(entriesOf(0)[0]).toEqual({ Id: '0', MessageBody: 'm0', DelaySeconds: 4 });

    const big = 'x'.repeat(100 * 1024);
    expect(batchesOf([big, big, big, 'y']).map((b) => b.length)).toEqual([2, 2]);
    expect(() => batchesOf(['z'.repeat(FAN_OUT_MESSAGE_MAX_BYTES + 1)])).toThrow(RangeError);
  });

  it('sends again the entries SQS failed on its side, and throws for those it refused', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: '0', MessageId: 'a', MD5OfMessageBody: '' }],
        Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError' }],
      })
      .resolves({ Successful: [{ Id: '1', MessageId: 'b', MD5OfMessageBody: '' }], Failed: [] });
    await queue().send(['first', 'second']);
    expect(entriesOf(1)).toEqual([{ Id: '1', MessageBody: 'second' }]);

    sqs.reset();
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [
        { Id: '0', SenderFault: true, Code: 'InvalidMessageContents', Message: 'Invalid characters found.' },
      ],
    });
    await expect(queue().send(['\u0000'])).rejects.toThrow(/did not take 1 of 1 .*InvalidMessageContents/);
  });

  it('gives up after three tries of an entry SQS keeps failing', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: '0', SenderFault: false, Code: 'InternalError' }] });
    await expect(queue().send(['m'])).rejects.toThrow(/InternalError/);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });
});
