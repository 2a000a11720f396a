import type { Principal } from './auth/principal';
import type { Attempt } from './idempotency';

/**
 * An HTTP operation in the protocol's terms: what the HTTP wrapper (shared/app/http.ts) hands it once the
 * caller is known and the body parsed, and what it answers. Features write their HTTP API as operations;
 * which route reaches which operation is the route table's business (shared/app/routes.ts).
 */
export interface OperationInput {
  principal: Principal;
  /** Path parameters, URL-decoded. */
  params: Record<string, string>;
  query: Record<string, string>;
  /** The parsed JSON body; undefined when there was none. */
  body: unknown;
  /** The request's path: the `instance` of a problem document. */
  path: string;
  /**
   * The claim of a request with an idempotency key: an operation that publishes hands it to `publish`
   * (core/publish.ts `attempt`), which makes the publish crash-safe under that key.
   */
  attempt?: Attempt | undefined;
}

export interface OperationResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Operation = (input: OperationInput) => Promise<OperationResult>;
