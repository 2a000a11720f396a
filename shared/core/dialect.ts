import type { Principal } from './auth/principal';
import type { ServerFrame } from './protocol';

/**
 * A seed dialect (docs/migration.md): the frames a seed document's client sends and parses, spoken on the
 * connections opened through that seed's path (`dialect=seed001.chat` …, set by edge/seed-paths.js). The
 * dialect is chosen at `$connect`, kept on the connection record and its subscriptions, and travels in the
 * authorizer's context to every later frame, so a native connection pays nothing for it: no read, no
 * rendering. The dialects themselves are in shared/app/dialects/ (one module per seed).
 */
export interface Dialect {
  /** The marker, `seed{NNN}.{consumer}`. */
  readonly name: string;
  /**
   * A native frame in this dialect's shape; null when the seed's client has no use for it at all (an
   * `ack`: the seeds never acknowledged anything). Pure: called once per frame and dialect in a fan-out.
   */
  render(frame: ServerFrame): ServerFrame | null;
  /** A client frame as the seed's client sends it → the native frame the session handles. */
  parse(frame: Record<string, unknown>): Record<string, unknown>;
  /** Frames the connection gets first, without asking (after `$connect` returns, core/after-connect.ts). */
  greet?(connection: DialectConnection): ServerFrame[];
  /**
   * True: at connect the connection also gets what its channels answer a `hello` with (a counter's total),
   * rendered, right after the greeting.
   */
  readonly helloAtConnect?: boolean;
}

export interface DialectConnection {
  connectionId: string;
  principal: Principal;
  /** The channels joined at `$connect` (its own `user:` channel included). */
  channels: readonly string[];
  /** ISO 8601 UTC: now. */
  timestamp: string;
}

/** Every dialect by its marker (shared/app/dialects/index.ts). */
export type DialectRegistry = Readonly<Record<string, Dialect | undefined>>;

/** Does a connection of this dialect have anything to be sent at connect? */
export const dialectWelcomes = (dialect: Dialect | undefined): boolean =>
  dialect !== undefined && (dialect.greet !== undefined || dialect.helloAtConnect === true);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A serialized native frame as the dialect renders it, serialized: null when the dialect drops it. For the
 * fan-out, which holds frames as bytes; it does this once per frame and dialect, never per connection.
 */
export function renderPayload(dialect: Dialect, payload: Uint8Array): Uint8Array | null {
  const rendered = dialect.render(JSON.parse(decoder.decode(payload)) as ServerFrame);
  return rendered === null ? null : encoder.encode(JSON.stringify(rendered));
}
