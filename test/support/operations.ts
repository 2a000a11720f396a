import type { Principal } from '../../shared/core/auth/principal';
import type { Operation, OperationInput } from '../../shared/core/operations';

/** An HTTP operation's input as the HTTP wrapper builds it. */
export function operationInput(
  principal: Principal,
  parts: {
    params?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
    path?: string;
  } = {},
): OperationInput {
  return {
    principal,
    params: parts.params ?? {},
    query: parts.query ?? {},
    body: parts.body,
    path: parts.path ?? '/',
  };
}

/** Calls an operation as the HTTP wrapper would, for a test on a fake world. */
export const call = (
  operation: Operation,
  principal: Principal,
  parts: Parameters<typeof operationInput>[1] = {},
) => operation(operationInput(principal, parts));
