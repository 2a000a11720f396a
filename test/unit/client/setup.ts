import { vi } from 'vitest';
import {
  type ConnectedInfo,
  type StateChange,
  Switchboard,
  type SwitchboardError,
  type SwitchboardOptions,
} from '../../../client/index';
import { FakeServer } from './fake-server';

export const WS_URL = 'ws://switchboard.test/local';

/** A client on a fresh fake server, with everything it emits recorded. Call under vi.useFakeTimers(). */
export function setup(options: SwitchboardOptions = {}) {
  const server = new FakeServer();
  const sb = new Switchboard(WS_URL, {
    WebSocket: server.WebSocket,
    fetch: server.fetch,
    random: () => 0,
    ...options,
  });
  const states: StateChange[] = [];
  const errors: SwitchboardError[] = [];
  const connected: ConnectedInfo[] = [];
  sb.on('state', (s) => states.push(s));
  sb.on('error', (e) => errors.push(e));
  sb.on('connected', (c) => connected.push(c));
  return { server, sb, states, errors, connected };
}

/** Advances the fake clock, running every timer and promise due on the way. */
export const tick = (ms = 10) => vi.advanceTimersByTimeAsync(ms);

/** Fake timers for Date and the timer functions the client uses (not queueMicrotask). */
export function useFakeClock() {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  // A whole second: a JWT's exp has a resolution of one second.
  vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
}
