import { describe, expect, it } from 'vitest';
import { awsStyleId } from '../../../local/ids';

describe('awsStyleId', () => {
  it("is shaped like API Gateway's ids and never repeats, across the pools of random bytes it draws", () => {
    // 5,000 ids span several pools of 1,024: the refill must neither repeat nor truncate an id.
    const ids = Array.from({ length: 5_000 }, awsStyleId);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
