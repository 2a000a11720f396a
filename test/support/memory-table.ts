import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '../../shared/adapters/dynamo/document-client';
import { conditionalCheckFailed, mockDocumentClient } from './dynamo-mock';

/**
 * One DynamoDB table in memory, behind aws-sdk-client-mock (on our document client: ./dynamo-mock.ts), for the connection store's concurrency tests:
 * each request waits a random time before and after it takes effect (seeded, so a failure replays), so
 * concurrent requests interleave in every order, and each takes effect atomically, as DynamoDB's single-item
 * operations do. It understands the expressions the connection store sends and throws on any other: a
 * store change that uses a new one fails here first, loudly.
 */
export type Item = Record<string, unknown>;
type WriteRequest = { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } };

export class MemoryTable {
  readonly items = new Map<string, Item>();
  readonly mock = mockDocumentClient();
  requests = 0;
  readonly #random: () => number;

  constructor(
    seed: number,
    /** The longest wait before and after a request takes effect, in ms. */
    private readonly maxDelayMs = 3,
  ) {
    this.#random = mulberry32(seed);
    this.mock.on(PutCommand).callsFake((input) => this.#run(() => this.put(input)));
    this.mock.on(GetCommand).callsFake((input) => this.#run(() => ({ Item: this.#get(input.Key) })));
    this.mock.on(DeleteCommand).callsFake((input) => this.#run(() => this.delete(input)));
    this.mock.on(UpdateCommand).callsFake((input) => this.#run(() => this.update(input)));
    this.mock.on(QueryCommand).callsFake((input) => this.#run(() => this.query(input)));
    // BatchWriteItem: each put or delete takes effect on its own, at its own moment (not as one).
    this.mock.on(BatchWriteCommand).callsFake(async (input) => {
      this.requests++;
      const [, requests] = Object.entries(input.RequestItems as Record<string, WriteRequest[]>)[0]!;
      await Promise.all(
        requests.map(async (r) => {
          await this.#pause();
          if (r.PutRequest) this.put({ Item: r.PutRequest.Item });
          else if (r.DeleteRequest) this.delete({ Key: r.DeleteRequest.Key });
          await this.#pause();
        }),
      );
      return {};
    });
    this.mock.on(BatchGetCommand).callsFake((input) =>
      this.#run(() => {
        const [table, request] = Object.entries(input.RequestItems as Record<string, { Keys: Item[] }>)[0]!;
        const found = request.Keys.map((k) => this.#get(k)).filter((i): i is Item => i !== undefined);
        return { Responses: { [table]: found } };
      }),
    );
  }

  restore(): void {
    this.mock.restore();
  }

  /** The items whose partition key starts with `prefix`, as `pk|sk`. */
  keysStartingWith(prefix: string): string[] {
    return [...this.items.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  async #run<T>(apply: () => T): Promise<T> {
    this.requests++;
    await this.#pause();
    const result = apply();
    await this.#pause();
    return structuredClone(result);
  }

  #pause(): Promise<void> {
    return new Promise((r) => setTimeout(r, Math.floor(this.#random() * (this.maxDelayMs + 1))));
  }

  #get(key: unknown): Item | undefined {
    const item = this.items.get(keyOf(key));
    return item && structuredClone(item);
  }

  put(input: { Item?: Item; ConditionExpression?: string }) {
    const item = input.Item!;
    const key = keyOf(item);
    if (input.ConditionExpression !== undefined) {
      expectExpression(input.ConditionExpression, ['attribute_not_exists(pk)']);
      if (this.items.has(key)) throw conditionFailed();
    }
    this.items.set(key, withoutUndefined(item));
    return {};
  }

  delete(input: {
    Key?: Item;
    ReturnValues?: string;
    ConditionExpression?: string;
    ExpressionAttributeValues?: Item;
  }) {
    const key = keyOf(input.Key);
    const old = this.items.get(key);
    if (input.ConditionExpression === 'attribute_exists(pk)') {
      if (!old) throw conditionFailed();
    } else if (input.ConditionExpression !== undefined) {
      expectExpression(input.ConditionExpression, ['cnt = :zero']);
      if (old?.cnt !== input.ExpressionAttributeValues?.[':zero']) throw conditionFailed();
    }
    this.items.delete(key);
    return input.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {};
  }

  update(input: {
    Key?: Item;
    UpdateExpression?: string;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Item;
    ReturnValues?: string;
  }) {
    const key = keyOf(input.Key);
    const values = input.ExpressionAttributeValues ?? {};
    const existing = this.items.get(key);
    if (input.ConditionExpression !== undefined) {
      const c = input.ConditionExpression;
      expectExpression(c, [
        'attribute_exists(pk)',
        'attribute_exists(pk) AND (attribute_not_exists(channels) OR size(channels) < :max)',
      ]);
      const channels = existing?.channels as Set<string> | undefined;
      const ok =
        existing !== undefined &&
        (!c.includes(':max') || channels === undefined || channels.size < Number(values[':max']));
      if (!ok) throw conditionFailed();
    }
    const item: Item = existing ? { ...existing } : { ...input.Key };
    const changed: string[] = [];
    for (const [verb, body] of clauses(input.UpdateExpression ?? '')) {
      for (const part of body.split(',').map((p) => p.trim())) {
        const [rawName, , rawValue] =
          verb === 'SET' ? part.split(/\s+/) : [part.split(/\s+/)[0], '', part.split(/\s+/)[1]];
        const name = input.ExpressionAttributeNames?.[rawName!] ?? rawName!;
        const value = rawValue === undefined ? undefined : values[rawValue];
        changed.push(name);
        if (verb === 'SET') item[name] = value;
        else if (verb === 'REMOVE') delete item[name];
        else if (verb === 'ADD' && value instanceof Set) {
          item[name] = new Set([...((item[name] as Set<unknown>) ?? []), ...value]);
        } else if (verb === 'ADD') item[name] = Number(item[name] ?? 0) + Number(value);
        else if (verb === 'DELETE') {
          const left = new Set(item[name] as Set<unknown>);
          for (const v of value as Set<unknown>) left.delete(v);
          if (left.size > 0) item[name] = left;
          else delete item[name];
        } else throw new Error(`MemoryTable: no ${verb} in ${input.UpdateExpression}`);
      }
    }
    this.items.set(key, item);
    return input.ReturnValues === 'UPDATED_NEW'
      ? { Attributes: Object.fromEntries(changed.filter((n) => n in item).map((n) => [n, item[n]])) }
      : {};
  }

  query(input: {
    KeyConditionExpression?: string;
    ExpressionAttributeValues?: Item;
    Limit?: number;
    ExclusiveStartKey?: Item;
  }) {
    expectExpression(input.KeyConditionExpression ?? '', ['pk = :pk AND begins_with(sk, :conn)']);
    const pk = String(input.ExpressionAttributeValues?.[':pk']);
    const prefix = String(input.ExpressionAttributeValues?.[':conn']);
    const all = [...this.items.values()]
      .filter((i) => i.pk === pk && String(i.sk).startsWith(prefix))
      .sort((a, b) => (String(a.sk) < String(b.sk) ? -1 : 1));
    const after = input.ExclusiveStartKey ? String(input.ExclusiveStartKey.sk) : undefined;
    const from = after === undefined ? all : all.filter((i) => String(i.sk) > after);
    const page = from.slice(0, input.Limit ?? from.length);
    const last = page.at(-1);
    return {
      Items: page,
      ...(last && page.length < from.length ? { LastEvaluatedKey: { pk: last.pk, sk: last.sk } } : {}),
    };
  }
}

const keyOf = (key: unknown): string => {
  const k = key as { pk: string; sk: string };
  return `${k.pk}|${k.sk}`;
};

const withoutUndefined = (item: Item): Item =>
  Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined));

function expectExpression(expression: string, known: string[]): void {
  if (!known.includes(expression)) throw new Error(`MemoryTable does not know "${expression}"`);
}

/** `ADD a :x, b :y SET c = :z REMOVE d` → [['ADD', 'a :x, b :y'], ['SET', 'c = :z'], ['REMOVE', 'd']]. */
function clauses(expression: string): [string, string][] {
  const parts = expression.split(/\b(ADD|SET|REMOVE|DELETE)\b/).map((s) => s.trim());
  const out: [string, string][] = [];
  for (let i = 1; i < parts.length; i += 2) out.push([parts[i]!, parts[i + 1]!]);
  return out;
}

const conditionFailed = () => conditionalCheckFailed('The conditional request failed');

/** A small seeded PRNG: the same seed gives the same interleavings. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
