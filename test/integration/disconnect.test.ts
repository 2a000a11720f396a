import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/index';
import { TestClient, unique } from './support/client';
import { publish, recorder, startTestStack, wsContext } from './support/stack';

let stack: LocalStack;
let publisher: string;
const calls = recorder();
const disconnectsOf = (id: string) =>
  calls.done.filter((i) => i.lambda === 'ws-disconnect' && wsContext(i.event).connectionId === id);
const disconnected = (id: string) =>
  calls.waitFor((i) => i.lambda === 'ws-disconnect' && wsContext(i.event).connectionId === id);

beforeAll(async () => {
  stack = await startTestStack({ observe: calls.observe });
  publisher = await stack.issuer.mint({ sub: unique('svc-'), scope: 'realtime:publish' });
});
afterAll(() => stack.stop());

async function member(room: string): Promise<{ client: TestClient; id: string }> {
  const client = await TestClient.connect(stack.wsUrl, { channels: [room] });
  return { client, id: String((await client.hello()).connection_id) };
}

describe('$disconnect', () => {
  it('runs once with the client close code and reason, and cleans the subscriptions', async () => {
    const room = unique('room:');
    const { client, id } = await member(room);
    expect(
      (await publish(stack.httpUrl, publisher, { channel: room, type: 'x', data: {} })).body.recipients,
    ).toBe(1);

    await client.close(4000, 'bye now');
    const event = wsContext((await disconnected(id)).event);
    expect(event).toMatchObject({
      routeKey: '$disconnect',
      eventType: 'DISCONNECT',
      disconnectStatusCode: 4000,
      disconnectReason: 'bye now',
    });

    const after = await publish(stack.httpUrl, publisher, { channel: room, type: 'x', data: {} });
    expect(after.body).toMatchObject({ recipients: 0, delivered: 0, gone: 0 });
    expect(disconnectsOf(id)).toHaveLength(1);
  });

  it('reports 1006 when the socket dies without a close frame', async () => {
    const { client, id } = await member(unique('room:'));
    client.ws.terminate();
    expect(wsContext((await disconnected(id)).event)).toMatchObject({ disconnectStatusCode: 1006 });
  });

  it('reports 1000 when the backend deleted the connection (DELETE @connections)', async () => {
    const { client, id } = await member(unique('room:'));
    const sdk = new ApiGatewayManagementApiClient({
      endpoint: stack.callbackUrl,
      region: 'us-east-1',
      credentials: stack.credentials,
    });
    try {
      await sdk.send(new DeleteConnectionCommand({ ConnectionId: id }));
    } finally {
      sdk.destroy();
    }
    expect((await client.closed).code).toBe(1000);
    expect(wsContext((await disconnected(id)).event)).toMatchObject({ disconnectStatusCode: 1000 });
  });

  it('reports 1005 when the close frame has no status', async () => {
    const { client, id } = await member(unique('room:'));
    await client.close();
    expect(wsContext((await disconnected(id)).event)).toMatchObject({
      disconnectStatusCode: 1005,
      disconnectReason: 'Client-side close frame status not set',
    });
  });

  it('runs for every open socket when the stack stops, with 1001', async () => {
    const own = recorder();
    const stopping = await startTestStack({ observe: own.observe });
    const client = await TestClient.connect(stopping.wsUrl);
    const id = String((await client.hello()).connection_id);
    await stopping.stop();
    expect(await client.closed).toEqual({ code: 1001, reason: 'Going away' });
    const disconnects = own.done.filter((i) => i.lambda === 'ws-disconnect');
    expect(disconnects.map((i) => wsContext(i.event).connectionId)).toEqual([id]);
    expect(disconnects[0]?.error).toBeUndefined();
  });
});
