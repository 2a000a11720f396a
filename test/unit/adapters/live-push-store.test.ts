import { afterEach, describe, expect, it } from 'vitest';
import { GetCommand, PutCommand, UpdateCommand } from '../../../shared/adapters/dynamo/document-client';
import { DynamoLivePushStore } from '../../../shared/adapters/dynamo/live-push-store';
import { conditionalCheckFailed, mockDocumentClient, stubbedDocumentClient } from '../../support/dynamo-mock';

const ddb = mockDocumentClient();
afterEach(() => ddb.reset());

const store = () => new DynamoLivePushStore(stubbedDocumentClient(), 't');
const conditionFailed = () => conditionalCheckFailed('failed');
const item = { enabled: true, channel: 'live', intervalSeconds: 2, generation: 3, startedAt: 5_000 };
const config = { enabled: true, channel: 'live', intervalSeconds: 2, generation: 3, startedAt: 5_000 };

describe('DynamoLivePushStore', () => {
  it('claims a slot with a conditional put: true for the first caller, false after', async () => {
    ddb.on(PutCommand).resolvesOnce({}).rejects(conditionFailed());
    expect(await store().claimSlot(3, 7, 99)).toBe(true);
    expect(await store().claimSlot(3, 7, 99)).toBe(false);
    expect(ddb.commandCalls(PutCommand)[0]!.args[0].input).toEqual({
      TableName: 't',
      Item: { pk: 'live-push#3', sk: 'slot#000000000007', expiresAt: 99 },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('rethrows what is not a failed condition', async () => {
    ddb.on(PutCommand).rejects(new Error('throttled'));
    await expect(store().claimSlot(1, 1, 1)).rejects.toThrow('throttled');
  });

  it('starts a new generation with one update that ADDs to it', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: item });
    expect(await store().start({ channel: 'live', intervalSeconds: 2 }, 5_000)).toEqual(config);
    const input = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.Key).toEqual({ pk: 'config#live-push', sk: 'config' });
    expect(input.UpdateExpression).toContain('ADD generation :one');
    expect(input.ReturnValues).toBe('ALL_NEW');
  });

  it('stops an existing config, and answers null when there was none', async () => {
    ddb
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: { ...item, enabled: false } })
      .rejects(conditionFailed());
    expect(await store().stop(6_000)).toEqual({ ...config, enabled: false });
    expect(await store().stop(6_000)).toBeNull();
    expect(ddb.commandCalls(UpdateCommand)[0]!.args[0].input.ConditionExpression).toBe(
      'attribute_exists(pk)',
    );
  });

  it('reads the config consistently, null when never started', async () => {
    ddb.on(GetCommand).resolvesOnce({ Item: item }).resolves({});
    expect(await store().read()).toEqual(config);
    expect(await store().read()).toBeNull();
    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input.ConsistentRead).toBe(true);
  });
});
