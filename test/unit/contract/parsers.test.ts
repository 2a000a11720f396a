import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { CONTRACT_FILES } from '../../../contract/index';

/**
 * The committed documents are valid by the official parsers (offline: the documents have no remote
 * `$ref`). @asyncapi/parser loads Spectral and its rulesets (~5 s on a busy machine): one parse.
 */

const text = (file: string) => readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');

describe('the contract documents by the official parsers', () => {
  it('docs/openapi.json is a valid OpenAPI 3.1 document (@readme/openapi-parser)', {
    timeout: 60_000,
  }, async () => {
    const result = await validate(JSON.parse(text(CONTRACT_FILES.openapi)));
    expect(result).toMatchObject({ valid: true, warnings: [] });
  });

  it('docs/asyncapi.json is a valid AsyncAPI 3.0 document (@asyncapi/parser)', {
    timeout: 60_000,
  }, async () => {
    const { document, diagnostics } = await new Parser().parse(text(CONTRACT_FILES.asyncapi));
    // Severity 0 is an error, 1 a warning; 2-3 are hints (e.g. "3.1.0 exists": the issue asks for 3.0).
    const problems = diagnostics
      .filter((d) => d.severity < 2)
      .map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(problems).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    expect(document?.operations().length).toBeGreaterThan(10);
  });
});
