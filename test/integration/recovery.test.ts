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

  it('delivers every message exactly once when a client recovers while others keep publishing', async () => {
    // The race: a publish whose fan-out reads the subscribers between the recovering subscription's write
    // and its replay mark. Several rounds, two writers each, the reader subscribing mid-stream.
    const PER_WRITER = 12;
    for (let round = 0; round < 4; round++) {
      const room = unique('room:');
      const writers = await Promise.all([1, 2].map(() => TestClient.connect(wsUrl, { channels: [room] })));
      const reader = await TestClient.connect(wsUrl);
      const write = async (w: TestClient) => {
        for (let i = 0; i < PER_WRITER; i++)
          await w.request({ type: 'publish', channel: room, data: { i } }, 'ack');
      };
      const writing = Promise.all(writers.map(write));
      await writers[0]?.nextOfType('publication'); // let the stream start
      await reader.request({ type: 'subscribe', channel: room, since: 0 }, 'subscribed');
      await writing;

      const total = PER_WRITER * writers.length;
      const seqs: number[] = [];
      while (new Set(seqs).size < total) seqs.push((await reader.nextOfType('publication')).seq as number);
      for (const f of await reader.sync()) if (f.type === 'publication') seqs.push(f.seq as number);

      const counts = new Map<number, number>();
      for (const seq of seqs) counts.set(seq, (counts.get(seq) ?? 0) + 1);
      expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]); // no duplicate
      expect([...counts.keys()].sort((a, b) => a - b)).toEqual(
        Array.from({ length: total }, (_, i) => i + 1),
      ); // no loss
      await Promise.all([...writers, reader].map((c) => c.close()));
    }
  });
});
