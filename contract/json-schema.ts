import { type $ZodType, toJSONSchema } from 'zod/v4/core';

/** A JSON Schema as the documents carry it. */
export type JsonSchema = { [key: string]: unknown };

/**
 * JSON Schema of a zod schema, classic or `zod/mini` alike (both are `$ZodType`s of zod v4's core, which
 * is what `toJSONSchema` reads), so the documents follow whichever import the validation code uses.
 *
 * - `io: 'input'`: what a sender may send. A field with a default is optional, and objects stay open to
 *   fields the schema does not name (the handlers ignore them; a client ignores those it does not know).
 * - Refinements and transforms are code, not schema: they are left out (`unrepresentable: 'any'`), and a
 *   preprocessed field is described by the schema it is checked against. The descriptions say what the
 *   code adds (e.g. "at least one target").
 * - OpenAPI 3.1 speaks JSON Schema 2020-12; AsyncAPI 3.0's default schema format is a superset of draft 7.
 */
export function jsonSchemaOf(schema: $ZodType, target: 'draft-2020-12' | 'draft-7'): JsonSchema {
  const { $schema: _, ...rest } = toJSONSchema(schema, { io: 'input', target, unrepresentable: 'any' });
  return rest as JsonSchema;
}

/** The properties of an object schema, as [name, schema, required] (for query parameters). */
export function propertiesOf(schema: JsonSchema): [name: string, schema: JsonSchema, required: boolean][] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => [name, s, required.has(name)]);
}
