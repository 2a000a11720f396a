import type { Credentials, CredentialsProvider } from '../aws/credentials';
import { DocumentClient } from './document-client';

export interface DynamoClientOptions {
  region: string;
  /** A local endpoint (DynamoDB Local, dynalite); AWS when absent. */
  endpoint?: string | undefined;
  /**
   * Explicit credentials or a provider (the server library's option, or its default chain); a local
   * endpoint's dummy ones when absent there; else the environment's (a Lambda's role).
   */
  credentials?: Credentials | CredentialsProvider | undefined;
  /** Requests in flight on one socket at most (HTTP/1.1 pipelining): only for a DynamoDB on loopback. @default 1 */
  pipeline?: number | undefined;
}

/** Our document client (./document-client.ts), with the marshalling every adapter relies on. */
export function createDocumentClient(options: DynamoClientOptions): DocumentClient {
  return new DocumentClient({
    region: options.region,
    endpoint: options.endpoint,
    pipeline: options.pipeline,
    // A local DynamoDB accepts any credentials; these keep the client from looking for real ones.
    credentials:
      options.credentials ??
      (options.endpoint ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined),
  });
}

export const isConditionalCheckFailed = (error: unknown): boolean =>
  (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
