import type { Principal } from '../../shared/auth/principal';
import type { OperationInput } from '../../shared/http';
import { httpEvent } from './events';
import type { FakeWorld } from './fakes';

/** An HTTP operation's input as the HTTP wrapper builds it, for calling operations on a fake world. */
export function operationInput(
  world: FakeWorld,
  principal: Principal,
  parts: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
): OperationInput {
  return {
    deps: world,
    principal,
    params: parts.params ?? {},
    query: parts.query ?? {},
    body: parts.body,
    event: httpEvent('$default'),
  };
}
