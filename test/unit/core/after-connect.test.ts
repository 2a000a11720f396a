import { describe, expect, it } from 'vitest';
import { afterConnectHandler } from '../../../shared/app/websocket';
import {
  afterConnect,
  afterConnectJob,
  countsWanted,
  WELCOME_RETRY_MS,
} from '../../../shared/core/after-connect';
import { connect } from '../../../shared/core/connections';
import type { ChannelHooks } from '../../../shared/core/session/hooks';
import { type FakeWorld, fakeWorld } from '../../support/fakes';
import { TestClient, user } from '../../support/world';

/** A connect as ws-connect does it: the job it leaves, or a failure. */
async function connectOnly(world: FakeWorld, id: string, channels: string) {
  const result = await connect(world, { connectionId: id, principal: user(id), channels });
  if (!result.ok) throw new Error(result.error.message);
  return result.afterConnect;
}

const welcoming = (world: FakeWorld, hooks: ChannelHooks): FakeWorld =>
  ({ ...world, hooks: { ...world.hooks, room: { ...world.hooks.room, ...hooks } } }) as FakeWorld;

describe('after $connect', () => {
  it('$connect itself tells nobody; the after-connect work tells the others, not the joiner', async () => {
    const world = fakeWorld();
    const alice = await TestClient.connect(world, 'alice', user('alice'), 'room:lobby');
    const job = await connectOnly(world, 'bob', 'room:lobby');
    expect(world.gateway.posts).toEqual([]); // the handshake posted nothing
    // The room's whole count, read by $connect while it joined: the after-connect work does not read it again.
    expect(job).toEqual({
      connectionId: 'bob',
      principal: user('bob'),
      channels: ['room:lobby', 'user:bob'],
      counts: { 'room:lobby': 2 },
    });
    expect(await afterConnect(world, job!)).toEqual({ ran: true, welcomed: 0 });
    expect(alice.received()).toEqual([
      expect.objectContaining({
        type: 'notification',
        event: 'user_joined',
        user: { id: 'bob', username: 'bob' },
      }),
    ]);
    expect(world.gateway.framesTo('bob')).toEqual([]);
  });

  it('tells a join to those connected by then, not to those who came after it', async () => {
    const world = fakeWorld();
    const alice = await TestClient.connect(world, 'alice', user('alice'), 'room:lobby');
    world.clock.advance(5);
    const bobJob = await connectOnly(world, 'bob', 'room:lobby');
    const bob = new TestClient(world, 'bob', user('bob'));
    world.clock.advance(5);
    // Carol connects before bob's after-connect work runs (a burst): she finds bob there already.
    const carolJob = await connectOnly(world, 'carol', 'room:lobby');
    const carol = new TestClient(world, 'carol', user('carol'));
    await afterConnect(world, bobJob!);
    await afterConnect(world, carolJob!);
    const joined = (client: TestClient) => client.received().map((f) => (f.user as { id: string }).id);
    expect(joined(alice)).toEqual(['bob', 'carol']);
    expect(joined(bob)).toEqual(['carol']);
    expect(joined(carol)).toEqual([]);

    // Connected in the same millisecond, each is news to the other.
    world.clock.advance(5);
    const jobs = [
      await connectOnly(world, 'dan', 'room:lobby'),
      await connectOnly(world, 'eve', 'room:lobby'),
    ];
    for (const job of jobs) await afterConnect(world, job!);
    expect(joined(new TestClient(world, 'dan', user('dan')))).toEqual(['eve']);
    expect(joined(new TestClient(world, 'eve', user('eve')))).toEqual(['dan']);
  });

  it('leaves nothing to do for channels without join hooks', async () => {
    const world = fakeWorld();
    expect(await connectOnly(world, 'x', 'sensors')).toBeNull();
  });

  it('leaves nothing to do for a room whose joins are not announced', async () => {
    const world = fakeWorld({ PRESENCE_ANNOUNCE_MAX: '0' });
    await TestClient.connect(world, 'alice', user('alice'), 'room:lobby');
    expect(await connectOnly(world, 'bob', 'room:lobby')).toBeNull();
    // A counter's join hook always has work: its channel still leaves a job beside the room.
    expect((await connectOnly(world, 'carol', 'room:lobby,counter:c'))?.channels).toEqual([
      'room:lobby',
      'counter:c',
      'user:carol',
    ]);
  });

  describe('afterConnectJob: what the counts $connect learnt say', () => {
    const job = { connectionId: 'c', principal: user('c'), channels: ['room:one', 'room:eight'] };
    const deps = (hooks: ChannelHooks) => ({
      hooks: { room: hooks },
      channels: { subscriberShards: (id: string) => (id === 'room:one' ? 1 : 8) },
    });
    const presence = deps({ afterJoin: async () => {}, joinWork: { min: 2, max: 3 } });
    const room = (id: string) => ({ ...fakeWorld().channels.parse(id) });
    const decide = (d: ReturnType<typeof deps>, id: string, n: number, greets = false) =>
      afterConnectJob(d, { ...job, channels: [id] }, [room(id)], { joined: { [id]: n }, counts: {} }, greets);
    /** A sharded channel whose other shards `put` read: `shard` in the joiner's, `whole` in all. */
    const decideWhole = (id: string, shard: number, whole: number) =>
      afterConnectJob(
        presence,
        { ...job, channels: [id] },
        [room(id)],
        { joined: { [id]: shard }, counts: { [id]: whole } },
        false,
      );

    it('a channel of one shard: its exact count decides, and is handed on', () => {
      expect(decide(presence, 'room:one', 1)).toBeNull(); // alone: nobody to tell
      expect(decide(presence, 'room:one', 2)?.counts).toEqual({ 'room:one': 2 });
      expect(decide(presence, 'room:one', 3)?.counts).toEqual({ 'room:one': 3 });
      expect(decide(presence, 'room:one', 4)).toBeNull(); // above the range
    });

    it("a sharded channel: its joiner's shard is a lower bound, which only tells that it is above the range", () => {
      expect(decide(presence, 'room:eight', 1)).toEqual({ ...job, channels: ['room:eight'] });
      expect(decide(presence, 'room:eight', 3)).toEqual({ ...job, channels: ['room:eight'] });
      expect(decide(presence, 'room:eight', 4)).toBeNull();
    });

    it('a sharded channel whose whole count was read: that count decides, and is handed on, unless below the range', () => {
      expect(decideWhole('room:eight', 1, 3)?.counts).toEqual({ 'room:eight': 3 });
      expect(decideWhole('room:eight', 1, 4)).toBeNull(); // its shard alone could not tell
      // "Alone" may miss a join made at the same moment on another shard: the job reads the count again.
      expect(decideWhole('room:eight', 1, 1)).toEqual({ ...job, channels: ['room:eight'] });
    });

    it('asks put for the whole count of sharded channels whose hooks a count decides, only', () => {
      const channels = ['room:one', 'room:eight'].map(room);
      expect(countsWanted(presence, channels)).toEqual(['room:eight']);
      expect(countsWanted(deps({ afterJoin: async () => {} }), channels)).toEqual([]);
      const welcome = deps({ welcome: async () => [], joinWork: { min: 2, max: 3 } });
      expect(countsWanted(welcome, channels)).toEqual([]);
    });

    it('work stays for a seed greeting, a hook without a range, or a welcome hook', () => {
      expect(decide(presence, 'room:one', 9, true)).not.toBeNull();
      expect(decide(deps({ afterJoin: async () => {} }), 'room:one', 9)).not.toBeNull();
      const welcome = deps({ welcome: async () => [], joinWork: { min: 2, max: 3 } });
      expect(decide(welcome, 'room:one', 9)).not.toBeNull();
    });
  });

  it('does nothing for a connection gone before it ran (closed at once, or its $connect undone)', async () => {
    const world = fakeWorld();
    await TestClient.connect(world, 'alice', user('alice'), 'room:lobby');
    const job = await connectOnly(world, 'bob', 'room:lobby');
    await world.connections.remove('bob');
    expect(await afterConnect(world, job!)).toEqual({ ran: false, welcomed: 0 });
    expect(world.gateway.posts).toEqual([]);
  });

  it('posts the welcome frames in order, retrying while API Gateway answers 410 until $connect has returned', async () => {
    const base = fakeWorld();
    const world = welcoming(base, {
      async welcome({ channel, count }) {
        return [
          { type: 'welcome', channel: channel.id, count },
          { type: 'motd', text: 'hi' },
        ];
      },
    });
    const job = await connectOnly(world, 'bob', 'room:lobby');
    // Not open for its first two posts (its $connect has not returned yet).
    let notOpen = 2;
    const post = base.gateway.post.bind(base.gateway);
    base.gateway.post = async (id, data) => (id === 'bob' && notOpen-- > 0 ? 'gone' : post(id, data));
    const t0 = base.clock.now();
    expect(await afterConnect(world, job!)).toEqual({ ran: true, welcomed: 2 });
    expect(base.gateway.framesTo('bob')).toEqual([
      { type: 'welcome', channel: 'room:lobby', count: 1 },
      { type: 'motd', text: 'hi' },
    ]);
    expect(base.clock.now() - t0).toBe(WELCOME_RETRY_MS[0] + WELCOME_RETRY_MS[1]);
    expect(base.connections.records.has('bob')).toBe(true);
  });

  it('gives up on a connection that never opens after the bounded retries, and keeps it', async () => {
    const base = fakeWorld();
    const world = welcoming(base, { welcome: async () => [{ type: 'welcome' }, { type: 'more' }] });
    const job = await connectOnly(world, 'bob', 'room:lobby');
    base.gateway.gone.add('bob');
    const t0 = base.clock.now();
    expect(await afterConnect(world, job!)).toEqual({ ran: true, welcomed: 0 });
    const waited = WELCOME_RETRY_MS.reduce((a, b) => a + b, 0);
    expect(base.clock.now() - t0).toBe(waited); // ~1.5 s, once: the second frame is not tried
    expect(waited).toBeLessThanOrEqual(2_000);
    expect(base.connections.records.has('bob')).toBe(true);
  });

  it('the Lambda handler takes the event ws-connect sends, and fails on anything else', async () => {
    const world = fakeWorld();
    const alice = await TestClient.connect(world, 'alice', user('alice'), 'room:lobby');
    await connectOnly(world, 'bob', 'room:lobby');
    const handler = afterConnectHandler(world);
    const event = {
      connectionId: 'bob',
      principal: { sub: 'bob', username: 'Bob', orgs: '[]', scopes: '', exp: '' },
      channels: ['room:lobby', 'user:bob'],
      endpoint: 'https://abc.execute-api.us-east-1.amazonaws.com/prod',
    };
    expect(await handler(event)).toEqual({ ran: true, welcomed: 0 });
    expect(alice.received()).toEqual([
      expect.objectContaining({ event: 'user_joined', user: { id: 'bob', username: 'Bob' } }),
    ]);
    await expect(handler({ connectionId: 'bob' })).rejects.toThrow('not an after-connect event');
  });
});
