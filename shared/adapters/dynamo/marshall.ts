/**
 * Native JavaScript values ⇄ DynamoDB's JSON attribute values, as @aws-sdk/lib-dynamodb converts them with
 * `marshallOptions: { removeUndefinedValues: true }` and its default unmarshalling (same types, same
 * errors): string → S, number → N, bigint → N, boolean → BOOL, null → NULL, array → L, plain object or Map
 * → M, Set of strings / numbers / binaries → SS / NS / BS, Uint8Array (Buffer, ArrayBuffer, any typed
 * array) → B. Undefined values and functions inside maps, lists and sets are left out. Binary travels as
 * base64, as the service's JSON protocol has it; it comes back as Uint8Array, N as number (a bigint beyond
 * ±Number.MAX_SAFE_INTEGER), NS/SS/BS as Sets.
 */

/** An item, a key, or ExpressionAttributeValues in native values. */
export type NativeItem = Record<string, unknown>;

/** One attribute value as DynamoDB's JSON protocol has it (B and BS in base64). */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: AttributeMap }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };

export type AttributeMap = Record<string, AttributeValue>;

const BINARY_TYPES = new Set([
  'ArrayBuffer',
  'Buffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
]);

const constructorName = (v: unknown): string | undefined =>
  (v as { constructor?: { name?: string } } | null | undefined)?.constructor?.name;

const isBinary = (v: unknown): v is ArrayBuffer | ArrayBufferView =>
  BINARY_TYPES.has(constructorName(v) ?? '');

/** The top-level attributes of an item (undefined ones and functions left out). */
export function marshallItem(item: NativeItem): AttributeMap {
  const out: AttributeMap = {};
  for (const [name, value] of Object.entries(item)) {
    if (value !== undefined && typeof value !== 'function') out[name] = toAttribute(value);
  }
  return out;
}

export function unmarshallItem(map: AttributeMap): NativeItem {
  const out: NativeItem = {};
  for (const [name, value] of Object.entries(map)) out[name] = toNative(value);
  return out;
}

/** One value. Throws the SDK's errors: undefined itself, NaN/±Infinity, an unsafe integer, an empty or mixed set, a class instance. */
export function toAttribute(data: unknown): AttributeValue {
  if (data === undefined) {
    throw new Error('Pass options.removeUndefinedValues=true to remove undefined values from map/array/set.');
  }
  if (data === null) return { NULL: true };
  if (Array.isArray(data)) {
    return { L: data.filter((v) => v !== undefined && typeof v !== 'function').map(toAttribute) };
  }
  const kind = constructorName(data);
  if (kind === 'Set') return toSet(data as Set<unknown>);
  if (kind === 'Map') return { M: mapOf((data as Map<string, unknown>).entries()) };
  if (kind === 'Object' || (kind === undefined && typeof data === 'object')) {
    return { M: mapOf(Object.entries(data as object)) };
  }
  if (isBinary(data)) return { B: base64(data) };
  if (typeof data === 'boolean' || kind === 'Boolean')
    return { BOOL: (data as { valueOf(): boolean }).valueOf() };
  if (typeof data === 'number' || kind === 'Number') return { N: numberString(Number(data)) };
  if (typeof data === 'bigint') return { N: data.toString() };
  if (typeof data === 'string' || kind === 'String') return { S: String(data) };
  throw new Error(
    `Unsupported type passed: ${String(data)}. Pass options.convertClassInstanceToMap=true to marshall typeof object as map attribute.`,
  );
}

function mapOf(entries: Iterable<[string, unknown]>): AttributeMap {
  const out: AttributeMap = {};
  for (const [name, value] of entries) {
    if (value !== undefined && typeof value !== 'function') out[name] = toAttribute(value);
  }
  return out;
}

function toSet(set: Set<unknown>): AttributeValue {
  const values = [...set].filter((v) => v !== undefined);
  if (values.length === 0) throw new Error('Pass a non-empty set, or options.convertEmptyValues=true.');
  const first = values[0];
  if (typeof first === 'number') return { NS: values.map((v) => numberString(v as number)) };
  if (typeof first === 'bigint') return { NS: values.map((v) => (v as bigint).toString()) };
  if (typeof first === 'string') return { SS: values.map((v) => String(v)) };
  if (isBinary(first)) return { BS: values.map((v) => base64(v as ArrayBuffer | ArrayBufferView)) };
  throw new Error('Only Number Set (NS), Binary Set (BS) or String Set (SS) are allowed.');
}

function numberString(n: number): string {
  if (Number.isNaN(n) || n === Number.POSITIVE_INFINITY || n === Number.NEGATIVE_INFINITY) {
    throw new Error(`Special numeric value ${n.toString()} is not allowed`);
  }
  if (n > Number.MAX_SAFE_INTEGER) {
    throw new Error(`Number ${n.toString()} is greater than Number.MAX_SAFE_INTEGER. Use a bigint.`);
  }
  if (n < Number.MIN_SAFE_INTEGER) {
    throw new Error(`Number ${n.toString()} is lesser than Number.MIN_SAFE_INTEGER. Use a bigint.`);
  }
  return n.toString();
}

function base64(data: ArrayBuffer | ArrayBufferView): string {
  const bytes = ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(data);
  return bytes.toString('base64');
}

/** One attribute value to its native value (the first type key that has a value, as the SDK reads it). */
export function toNative(value: AttributeValue): unknown {
  for (const [type, v] of Object.entries(value) as [string, unknown][]) {
    if (v === undefined) continue;
    switch (type) {
      case 'NULL':
        return null;
      case 'BOOL':
        return Boolean(v);
      case 'N':
        return nativeNumber(v as string);
      case 'B':
        return fromBase64(v as string);
      case 'S':
        return v as string;
      case 'L':
        return (v as AttributeValue[]).map(toNative);
      case 'M':
        return unmarshallItem(v as AttributeMap);
      case 'NS':
        return new Set((v as string[]).map(nativeNumber));
      case 'BS':
        return new Set((v as string[]).map(fromBase64));
      case 'SS':
        return new Set(v as string[]);
      default:
        throw new Error(`Unsupported type passed: ${type}`);
    }
  }
  throw new Error(`No value defined: ${JSON.stringify(value)}`);
}

function nativeNumber(s: string): number | bigint {
  const n = Number(s);
  const unsafe =
    (n > Number.MAX_SAFE_INTEGER || n < Number.MIN_SAFE_INTEGER) &&
    n !== Number.POSITIVE_INFINITY &&
    n !== Number.NEGATIVE_INFINITY;
  if (!unsafe) return n;
  try {
    return BigInt(s);
  } catch {
    throw new Error(`${s} can't be converted to BigInt. Set options.wrapNumbers to get string value.`);
  }
}

function fromBase64(s: string): Uint8Array {
  const b = Buffer.from(s, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
