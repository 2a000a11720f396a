import { describe, expect, it } from 'vitest';
import { z as classic } from 'zod';
import * as z from 'zod/mini';
import { jsonSchemaOf } from '../../../contract/json-schema';

/** The generator reads classic zod and zod/mini schemas alike, lazy ones included. */
describe('jsonSchemaOf', () => {
  const numberAsText = (v: unknown) => (typeof v === 'number' ? String(v) : v);

  it('zod/mini, built on first use: a preprocessed field stays required, defaults and optionals do not', () => {
    const schema = z.lazy(() =>
      z.object({
        id: z.lazy(() => z.pipe(z.transform(numberAsText), z.string().check(z.minLength(1)))),
        note: z.optional(z.string()),
        limit: z._default(z.number().check(z.int(), z.maximum(100)), 50),
      }),
    );
    expect(jsonSchemaOf(schema, 'draft-2020-12')).toEqual({
      type: 'object',
      properties: {
        id: { type: 'string', minLength: 1 },
        note: { type: 'string' },
        limit: { type: 'integer', maximum: 100, minimum: expect.any(Number), default: 50 },
      },
      required: ['id'],
    });
  });

  it('classic zod: the same document', () => {
    const schema = classic.object({
      id: classic.preprocess(numberAsText, classic.string().min(1)),
      note: classic.string().optional(),
    });
    expect(jsonSchemaOf(schema, 'draft-7')).toEqual({
      type: 'object',
      properties: { id: { type: 'string', minLength: 1 }, note: { type: 'string' } },
      required: ['id'],
    });
  });
});
