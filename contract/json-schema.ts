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
  const { $schema: _, ...rest } = toJSONSchema(schema, {
    io: 'input',
    target,
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      const def = zodSchema._zod.def as { type: string; shape?: Record<string, $ZodType> };
      if (def.type !== 'object' || !def.shape) return;
      const required = Object.keys(def.shape).filter((key) => !optionalInput(def.shape![key]!));
      if (required.length > 0) jsonSchema.required = required;
      else delete jsonSchema.required;
    },
  });
  return rest as JsonSchema;
}

/**
 * May a sender leave this field out? zod's own answer (`optin`) looks through a preprocess (a pipe from a
 * transform) to the schema it checks, but not through `z.lazy` around it: a lazy preprocess (`zod/mini`
 * schemas built on first use) would read as optional. This one looks through both.
 */
function optionalInput(schema: $ZodType): boolean {
  const def = schema._zod.def as {
    type: string;
    getter?: () => $ZodType;
    in?: $ZodType;
    out?: $ZodType;
    innerType?: $ZodType;
  };
  if (def.type === 'lazy' && def.getter) return optionalInput(def.getter());
  if (def.type === 'pipe' && def.in?._zod.traits.has('$ZodTransform') && def.out)
    return optionalInput(def.out);
  if (def.type === 'catch' && def.innerType) return optionalInput(def.innerType);
  return schema._zod.optin !== undefined;
}

/** The properties of an object schema, as [name, schema, required] (for query parameters). */
export function propertiesOf(schema: JsonSchema): [name: string, schema: JsonSchema, required: boolean][] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => [name, s, required.has(name)]);
}
