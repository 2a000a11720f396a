import type { Credentials, CredentialsProvider } from '../aws/credentials';
import { AwsJsonClient } from '../aws/json-protocol';
import { type AttributeMap, marshallItem, type NativeItem, unmarshallItem } from './marshall';

/**
 * Our DynamoDB document client: the seven operations the stores use, with @aws-sdk/lib-dynamodb's command
 * names and input/output shapes (native values in and out, `removeUndefinedValues` on), sent over the lean
 * AWS JSON 1.0 client (shared/adapters/aws). It replaces @aws-sdk/client-dynamodb + lib-dynamodb (~340 KB
 * of every Lambda's bundle and ~0.7 ms of middleware CPU a request). Errors are AwsServiceError named as
 * the service names them (ConditionalCheckFailedException, …). Fields other than items, keys and values
 * pass through unchanged, both ways (ConsumedCapacity, Count, ScannedCount, …).
 */

export type { NativeItem } from './marshall';

export type ReturnConsumedCapacity = 'INDEXES' | 'TOTAL' | 'NONE';

export interface Capacity {
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
  CapacityUnits?: number;
}

export interface ConsumedCapacity extends Capacity {
  TableName?: string;
  Table?: Capacity;
  LocalSecondaryIndexes?: Record<string, Capacity>;
  GlobalSecondaryIndexes?: Record<string, Capacity>;
}

export interface ItemCollectionMetrics {
  ItemCollectionKey?: NativeItem;
  SizeEstimateRangeGB?: number[];
}

interface Request {
  ReturnConsumedCapacity?: ReturnConsumedCapacity | undefined;
}

interface Conditional extends Request {
  ConditionExpression?: string | undefined;
  ExpressionAttributeNames?: Record<string, string> | undefined;
  ExpressionAttributeValues?: NativeItem | undefined;
  ReturnValuesOnConditionCheckFailure?: 'ALL_OLD' | 'NONE' | undefined;
  ReturnItemCollectionMetrics?: 'SIZE' | 'NONE' | undefined;
}

interface WriteOutput {
  Attributes?: NativeItem;
  ConsumedCapacity?: ConsumedCapacity;
  ItemCollectionMetrics?: ItemCollectionMetrics;
}

export interface GetCommandInput extends Request {
  TableName: string;
  Key: NativeItem;
  ConsistentRead?: boolean | undefined;
  ProjectionExpression?: string | undefined;
  ExpressionAttributeNames?: Record<string, string> | undefined;
}
export interface GetCommandOutput {
  Item?: NativeItem;
  ConsumedCapacity?: ConsumedCapacity;
}

export interface PutCommandInput extends Conditional {
  TableName: string;
  Item: NativeItem;
  ReturnValues?: 'NONE' | 'ALL_OLD' | undefined;
}
export type PutCommandOutput = WriteOutput;

export interface UpdateCommandInput extends Conditional {
  TableName: string;
  Key: NativeItem;
  UpdateExpression?: string | undefined;
  ReturnValues?: 'NONE' | 'ALL_OLD' | 'UPDATED_OLD' | 'ALL_NEW' | 'UPDATED_NEW' | undefined;
}
export type UpdateCommandOutput = WriteOutput;

export interface DeleteCommandInput extends Conditional {
  TableName: string;
  Key: NativeItem;
  ReturnValues?: 'NONE' | 'ALL_OLD' | undefined;
}
export type DeleteCommandOutput = WriteOutput;

export interface QueryCommandInput extends Request {
  TableName: string;
  IndexName?: string | undefined;
  KeyConditionExpression: string;
  FilterExpression?: string | undefined;
  ProjectionExpression?: string | undefined;
  ExpressionAttributeNames?: Record<string, string> | undefined;
  ExpressionAttributeValues?: NativeItem | undefined;
  Select?: 'ALL_ATTRIBUTES' | 'ALL_PROJECTED_ATTRIBUTES' | 'SPECIFIC_ATTRIBUTES' | 'COUNT' | undefined;
  ConsistentRead?: boolean | undefined;
  ScanIndexForward?: boolean | undefined;
  Limit?: number | undefined;
  ExclusiveStartKey?: NativeItem | undefined;
}
export interface QueryCommandOutput {
  Items?: NativeItem[];
  Count?: number;
  ScannedCount?: number;
  LastEvaluatedKey?: NativeItem;
  ConsumedCapacity?: ConsumedCapacity;
}

export interface KeysAndAttributes {
  Keys: NativeItem[];
  ConsistentRead?: boolean | undefined;
  ProjectionExpression?: string | undefined;
  ExpressionAttributeNames?: Record<string, string> | undefined;
}
export interface BatchGetCommandInput extends Request {
  RequestItems: Record<string, KeysAndAttributes>;
}
export interface BatchGetCommandOutput {
  Responses?: Record<string, NativeItem[]>;
  UnprocessedKeys?: Record<string, KeysAndAttributes>;
  ConsumedCapacity?: ConsumedCapacity[];
}

export interface WriteRequest {
  PutRequest?: { Item: NativeItem };
  DeleteRequest?: { Key: NativeItem };
}
export interface BatchWriteCommandInput extends Request {
  RequestItems: Record<string, WriteRequest[]>;
  ReturnItemCollectionMetrics?: 'SIZE' | 'NONE' | undefined;
}
export interface BatchWriteCommandOutput {
  UnprocessedItems?: Record<string, WriteRequest[]>;
  ItemCollectionMetrics?: Record<string, ItemCollectionMetrics[]>;
  ConsumedCapacity?: ConsumedCapacity[];
}

/** What DynamoDB answers, as parsed JSON (items in attribute values). */
type Wire = Record<string, unknown>;

/** One operation: its input as given (what tests match on), the request it makes, the output of its answer. */
export abstract class DocumentCommand<I extends object, O> {
  abstract readonly operation: string;
  constructor(readonly input: I) {}
  abstract toWire(): object;
  abstract fromWire(answer: Wire): O;
}

export class GetCommand extends DocumentCommand<GetCommandInput, GetCommandOutput> {
  readonly operation = 'GetItem';
  toWire(): object {
    return { ...this.input, Key: marshallItem(this.input.Key) };
  }
  fromWire(answer: Wire): GetCommandOutput {
    return mapFields(answer, { Item: unmarshallItem });
  }
}

export class PutCommand extends DocumentCommand<PutCommandInput, PutCommandOutput> {
  readonly operation = 'PutItem';
  toWire(): object {
    return withValues({ ...this.input, Item: marshallItem(this.input.Item) });
  }
  fromWire(answer: Wire): PutCommandOutput {
    return writeOutput(answer);
  }
}

/** A write to one item by its key (UpdateItem, DeleteItem): the key and the values marshalled. */
abstract class KeyedWriteCommand<I extends Conditional & { Key: NativeItem }> extends DocumentCommand<
  I,
  WriteOutput
> {
  toWire(): object {
    return withValues({ ...this.input, Key: marshallItem(this.input.Key) });
  }
  fromWire(answer: Wire): WriteOutput {
    return writeOutput(answer);
  }
}

export class UpdateCommand extends KeyedWriteCommand<UpdateCommandInput> {
  readonly operation = 'UpdateItem';
}

export class DeleteCommand extends KeyedWriteCommand<DeleteCommandInput> {
  readonly operation = 'DeleteItem';
}

export class QueryCommand extends DocumentCommand<QueryCommandInput, QueryCommandOutput> {
  readonly operation = 'Query';
  toWire(): object {
    return withValues(mapFields<QueryCommandInput, object>(this.input, { ExclusiveStartKey: marshallItem }));
  }
  fromWire(answer: Wire): QueryCommandOutput {
    return mapFields(answer, { Items: unmarshallItems, LastEvaluatedKey: unmarshallItem });
  }
}

export class BatchGetCommand extends DocumentCommand<BatchGetCommandInput, BatchGetCommandOutput> {
  readonly operation = 'BatchGetItem';
  toWire(): object {
    return {
      ...this.input,
      RequestItems: mapValues(this.input.RequestItems, (r) => keysAnd(r, marshallItem)),
    };
  }
  fromWire(answer: Wire): BatchGetCommandOutput {
    return mapFields(answer, {
      Responses: (tables: Record<string, AttributeMap[]>) => mapValues(tables, unmarshallItems),
      UnprocessedKeys: (tables: Record<string, KeysAndAttributes>) =>
        mapValues(tables, (r) => keysAnd(r, wireItem)),
    });
  }
}

export class BatchWriteCommand extends DocumentCommand<BatchWriteCommandInput, BatchWriteCommandOutput> {
  readonly operation = 'BatchWriteItem';
  toWire(): object {
    return {
      ...this.input,
      RequestItems: mapValues(this.input.RequestItems, (requests) =>
        requests.map((r) => writeRequest(r, marshallItem)),
      ),
    };
  }
  fromWire(answer: Wire): BatchWriteCommandOutput {
    return mapFields(answer, {
      UnprocessedItems: (tables: Record<string, WriteRequest[]>) =>
        mapValues(tables, (requests) => requests.map((r) => writeRequest(r, wireItem))),
      ItemCollectionMetrics: (tables: Record<string, ItemCollectionMetrics[]>) =>
        mapValues(tables, (metrics) => metrics.map(collectionMetrics)),
    });
  }
}

export type AnyDocumentCommand =
  | GetCommand
  | PutCommand
  | UpdateCommand
  | DeleteCommand
  | QueryCommand
  | BatchGetCommand
  | BatchWriteCommand;

/** What `send` resolves with for a command (for a union of commands, the union of their outputs). */
export type OutputOf<C extends AnyDocumentCommand> = ReturnType<C['fromWire']>;

export interface DocumentClientOptions {
  region: string;
  /** DynamoDB Local or another endpoint; https://dynamodb.{region}.amazonaws.com when absent. */
  endpoint?: string | undefined;
  /** Static credentials or a provider; the environment's (a Lambda's role) when absent. */
  credentials?: Credentials | CredentialsProvider | undefined;
  /** Sockets kept open to DynamoDB at most. @default 50 */
  maxSockets?: number | undefined;
  /** Requests in flight on one socket at most (../aws/http.ts); only for a DynamoDB on loopback. @default 1 */
  pipeline?: number | undefined;
}

export class DocumentClient {
  readonly #json: AwsJsonClient;

  constructor(options: DocumentClientOptions) {
    this.#json = new AwsJsonClient({
      endpoint: options.endpoint ?? `https://dynamodb.${options.region}.amazonaws.com`,
      region: options.region,
      service: 'dynamodb',
      targetPrefix: 'DynamoDB_20120810',
      credentials: options.credentials,
      maxSockets: options.maxSockets,
      pipeline: options.pipeline,
    });
  }

  /** Marshals the command's input, sends it, unmarshals the answer; a marshalling error rejects, as the SDK's does. */
  async send<C extends AnyDocumentCommand>(command: C): Promise<OutputOf<C>> {
    const request = command.toWire();
    return command.fromWire(await this.#json.call<Wire>(command.operation, request)) as OutputOf<C>;
  }

  /** Closes the kept-alive sockets. */
  destroy(): void {
    this.#json.destroy();
  }
}

/** `obj` with each named field that is present converted by its function. */
function mapFields<T extends object, R>(
  obj: T,
  converters: { [K in string]?: (value: never) => unknown },
): R {
  const out = { ...obj } as Record<string, unknown>;
  for (const [field, convert] of Object.entries(converters)) {
    const value = out[field];
    if (value !== undefined && convert) out[field] = convert(value as never);
  }
  return out as R;
}

function withValues<T extends { ExpressionAttributeValues?: NativeItem | undefined }>(input: T): object {
  return mapFields(input, { ExpressionAttributeValues: marshallItem });
}

function writeOutput(answer: Wire): WriteOutput {
  return mapFields(answer, { Attributes: unmarshallItem, ItemCollectionMetrics: collectionMetrics });
}

const collectionMetrics = (m: ItemCollectionMetrics): ItemCollectionMetrics =>
  mapFields(m, { ItemCollectionKey: unmarshallItem });

/** An item of an answer (parsed JSON: attribute values) in native values. */
const wireItem = (item: NativeItem): NativeItem => unmarshallItem(item as AttributeMap);

const unmarshallItems = (items: AttributeMap[]): NativeItem[] => items.map(unmarshallItem);

const mapValues = <A, B>(record: Record<string, A>, f: (a: A) => B): Record<string, B> =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));

const keysAnd = (r: KeysAndAttributes, f: (key: NativeItem) => unknown): KeysAndAttributes =>
  ({ ...r, Keys: r.Keys.map(f) }) as KeysAndAttributes;

function writeRequest(r: WriteRequest, f: (item: NativeItem) => unknown): WriteRequest {
  const out: Record<string, unknown> = { ...r };
  if (r.PutRequest) out.PutRequest = { ...r.PutRequest, Item: f(r.PutRequest.Item) };
  if (r.DeleteRequest) out.DeleteRequest = { ...r.DeleteRequest, Key: f(r.DeleteRequest.Key) };
  return out as WriteRequest;
}
