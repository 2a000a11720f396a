/**
 * `switchboard/client`: the Switchboard client for browsers and Node (docs/client.md). No runtime
 * dependency: the WebSocket and fetch it uses are the platform's, or the ones passed in.
 */
export type { ClientCode, ErrorCode, ErrorDetails, ProtocolCode } from './codes';
export { SwitchboardError } from './codes';
export type { FetchLike } from './http';
export type { SubscriptionEvents, SubscriptionState } from './subscription';
export { Subscription } from './subscription';
export type {
  ConnectedInfo,
  FrameTrace,
  PublishOptions,
  StateChange,
  SwitchboardEvents,
  SwitchboardOptions,
} from './switchboard';
export { Switchboard } from './switchboard';
export type * from './types';
