/**
 * The frames and events of the client's API. Field names follow docs/PROTOCOL.md; the union of channel
 * events lists those the server produces (section 4). Services publishing over HTTP choose their own event
 * `type`: `subscribe<MyEvent>()` types those.
 */

/** Any frame the server sends: always a `type`. */
export interface ServerFrame {
  type: string;
  [field: string]: unknown;
}

/** What every frame from a channel carries; `seq` only where the channel keeps history. */
export interface ChannelFrame {
  type: string;
  channel: string;
  /** The server's id of the message (sortable by time); a repeat has the same id. */
  id: string;
  timestamp: string;
  seq?: number;
}

export interface Sender {
  id: string;
  username: string;
}

export interface Publication<D = Record<string, unknown>> extends ChannelFrame {
  type: 'publication';
  sender: Sender | null;
  data: D;
}
export interface ChatMessageEvent extends ChannelFrame {
  type: 'chat_message';
  message: string;
  username: string;
  sender?: Sender | null;
}
export interface RoomNotification extends ChannelFrame {
  type: 'notification';
  event?: 'user_joined' | 'user_left';
  message: string;
  title?: string;
  priority?: 'low' | 'normal' | 'high';
  link?: string;
  data?: unknown;
  user?: Sender | null;
}
export interface ApiMessage extends ChannelFrame {
  type: 'api_message';
  message: string;
  data?: unknown;
}
export interface LocationUpdate extends ChannelFrame {
  type: 'location_update';
  latitude: number;
  longitude: number;
  device_id: string;
}
export interface ChatContentEvent extends ChannelFrame {
  type: 'message';
  message: { id: string; chat: string; sender: Sender; content: string; timestamp: string };
}
export interface OrgEvent extends ChannelFrame {
  type: 'event';
  org_id: string;
  event_type: string;
  data: unknown;
}
export interface CounterUpdate extends ChannelFrame {
  type: 'counter_update';
  action: string;
  value: number;
  counter: number;
}
export interface UserCountUpdate extends ChannelFrame {
  type: 'user_count_update';
  count: number;
}
export interface SensorDataUpdate extends ChannelFrame {
  type: 'sensor_data_update';
  sensor_id: string;
  value: number;
  [field: string]: unknown;
}
export interface DeviceStatus extends ChannelFrame {
  type: 'device_status';
  device_id: string;
  status: string;
  [field: string]: unknown;
}
export interface LiveStats extends ChannelFrame {
  type: 'live_stats';
  stats: { connections: number; channels: number; users: number; timestamp: string; formatted_time: string };
}

/** The events of PROTOCOL.md section 4, told apart by `type`. */
export type ChannelEvent =
  | Publication
  | ChatMessageEvent
  | RoomNotification
  | ApiMessage
  | LocationUpdate
  | ChatContentEvent
  | OrgEvent
  | CounterUpdate
  | UserCountUpdate
  | SensorDataUpdate
  | DeviceStatus
  | LiveStats;

/** `connection.established`, the answer to `hello`. */
export interface Established {
  connection_id: string;
  user_id: string | null;
  /** Channels the server subscribed at connect: `?channels=` and `user:{sub}`. */
  channels: string[];
}

/** The `ack` of a publish. */
export interface Ack {
  /** The server's id of the message (the `id` of its publication). */
  id: string;
  /** The client's `id` of the publish (`ref` on the wire). */
  ref: string;
  channel: string;
  seq?: number;
  /**
   * `delivered`: posted to every subscriber before the ack. `queued`: a large audience, which the server's
   * fan-out workers are delivering (the message is stored; subscribers get it shortly).
   */
  status: 'delivered' | 'queued';
  /** True when the server had the `ref` already: stored and delivered once, by the first publish. */
  duplicate: boolean;
}

/** `subscribed`: where the subscription starts. */
export interface Subscribed {
  channel: string;
  /** The channel's newest seq when the subscription was made (history channels only). */
  seq?: number;
  /** After a subscribe with `since`: whether every message since then is replayed. */
  recovered?: boolean;
}

export interface HistoryPage<E = ChannelEvent> {
  channel: string;
  messages: E[];
  /** The `since` of the next page; null on the last. */
  next: number | null;
}

export interface Presence {
  channel: string;
  /** Connections subscribed to the channel. */
  count: number;
  /** Distinct authenticated users among them (at most 100), sorted by id. */
  users: Sender[];
  /** Subscribed connections without a user. */
  anonymous: number;
}

/**
 * The part of a WebSocket the client uses: the browser's, `ws`'s and a test fake all fit. Methods (not
 * function-typed properties) on purpose, so both `ws`'s and the DOM's event types are accepted.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: SocketEvent) => void): void;
}

/** What the client reads from the events of a WebSocket. */
export interface SocketEvent {
  type: string;
  /** message */
  data?: unknown;
  /** close */
  code?: number;
  reason?: string;
  /** error: `ws` says "Unexpected server response: 401" when a handshake is refused. */
  message?: string;
}

export type WebSocketFactory = new (url: string) => WebSocketLike;

export type State = 'disconnected' | 'connecting' | 'connected' | 'closed';

/** Why a connection replaced the one before it. */
export type Cause = 'connect' | 'reconnect' | 'lifetime' | 'token';
