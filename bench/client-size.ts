/**
 * The client's size as a browser downloads it: client/index.ts bundled by esbuild (minified, ESM, browser)
 * and gzipped with zlib. Budget: 8 KB.
 */
import { gzipSync } from 'node:zlib';
import { bundleClient } from '../client/bundle';

export const CLIENT_BUDGET_BYTES = 8 * 1024;

export interface ClientSizeResult {
  bundle: string;
  minifiedBytes: number;
  gzipBytes: number;
  budgetBytes: number;
  withinBudget: boolean;
}

export async function benchClientSize(): Promise<ClientSizeResult> {
  const minified = Buffer.from(await bundleClient({ minify: true }));
  const gzipBytes = gzipSync(minified).length;
  return {
    bundle: 'switchboard/client (esbuild, minified, ESM, browser)',
    minifiedBytes: minified.length,
    gzipBytes,
    budgetBytes: CLIENT_BUDGET_BYTES,
    withinBudget: gzipBytes <= CLIENT_BUDGET_BYTES,
  };
}
