import { describe, expect, it } from 'vitest';
import { TestClient, unique } from './support/client';
import { shared } from './support/stack';

const { wsUrl } = shared();

describe('recovery', () => {
  it('subscribe with since replays exactly the missed messages, in order, then live ones follow', async () => {
    const room = unique('room:');
    const writer = await TestClient.connect(wsUrl, { channels: [room] });
    const say = async (text: string) =>
      (await writer.request({ type: 'publish', channel: room, data: { text } }, 'ack')).seq as number;

    const seen = await say('one');
    const missed = [await say('two'), await say('three'), await say('four')];

    const reader = await TestClient.connect(wsUrl);
    const subscribed = await reader.request({ type: 'subscribe', channel: room, since: seen }, 'subscribed');
    expect(subscribed).toMatchObject({ channel: room, seq: missed.at(-1), recovered: true });

    const replayed = [];
    for (let i = 0; i < missed.length; i++) replayed.push(await reader.nextOfType('publication'));
    expect(replayed.map((f) => [f.seq, (f.data as { text: string }).text])).toEqual([
      [missed[0], 'two'],
      [missed[1], 'three'],
      [missed[2], 'four'],
    ]);

    const live = await say('five');
    expect(await reader.nextOfType('publication')).toMatchObject({ seq: live, data: { text: 'five' } });
    expect((await reader.sync()).filter((f) => f.type === 'publication')).toEqual([]);

    await Promise.all([writer.close(), reader.close()]);
  });
});
