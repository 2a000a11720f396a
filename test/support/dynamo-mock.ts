import { mockClient } from 'aws-sdk-client-mock';
import { AwsServiceError } from '../../shared/adapters/aws/http';
import {
  type AnyDocumentCommand,
  DocumentClient,
  type OutputOf,
} from '../../shared/adapters/dynamo/document-client';

/**
 * aws-sdk-client-mock on our document client (shared/adapters/dynamo/document-client.ts): it stubs
 * `DocumentClient.prototype.send` and matches commands by class (instanceof) and `command.input`, exactly as
 * it does an SDK client's, so every store test keeps its assertions. The library's types want an SDK
 * client (middleware stack, config); this is the one place that casts, into the typed surface below.
 */
export function mockDocumentClient(): DocumentClientStub {
  return mockClient(
    DocumentClient as unknown as Parameters<typeof mockClient>[0],
  ) as unknown as DocumentClientStub;
}

/** A client whose `send` the stub answers (it never opens a socket). */
export const stubbedDocumentClient = (): DocumentClient => new DocumentClient({ region: 'us-east-1' });

/** The error DynamoDB answers a failed condition with, as our client throws it. */
export const conditionalCheckFailed = (message = 'failed'): AwsServiceError =>
  new AwsServiceError('ConditionalCheckFailedException', message, 'client', { httpStatusCode: 400 });

type CommandClass<C extends AnyDocumentCommand> = new (input: C['input']) => C;

interface Call<C> {
  args: [C];
}

/** The part of aws-sdk-client-mock's AwsStub the tests use, typed for our commands. */
export interface DocumentClientStub {
  on<C extends AnyDocumentCommand>(
    command: CommandClass<C>,
    input?: Partial<C['input']>,
    strict?: boolean,
  ): CommandBehavior<C>;
  commandCalls<C extends AnyDocumentCommand>(
    command: CommandClass<C>,
    input?: Partial<C['input']>,
    strict?: boolean,
  ): Call<C>[];
  calls(): Call<AnyDocumentCommand>[];
  reset(): DocumentClientStub;
  resetHistory(): DocumentClientStub;
  restore(): void;
}

export interface CommandBehavior<C extends AnyDocumentCommand> {
  resolves(output: OutputOf<C>): DocumentClientStub;
  resolvesOnce(output: OutputOf<C>): CommandBehavior<C>;
  rejects(error?: string | Error): DocumentClientStub;
  rejectsOnce(error?: string | Error): CommandBehavior<C>;
  /** `input` is the command's input unless the callback says what part of it it reads. */
  callsFake<P = C['input']>(fake: (input: P) => unknown): DocumentClientStub;
  callsFakeOnce<P = C['input']>(fake: (input: P) => unknown): CommandBehavior<C>;
}
