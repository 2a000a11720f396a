/**
 * Build-time only (esbuild, a devDependency): the client as one ES module for the browser. Not part of the
 * client's runtime (index.ts never imports it).
 *
 * - `npm run build:client` writes web/switchboard-client.js, the copy the console imports: readable (not
 *   minified), committed, and checked current by test/unit/client/bundle.test.ts, so the console stays a
 *   page of static files with no build step when the stack starts.
 * - `npm run bench -- client` measures the minified size, gzipped (the budget is 8 KB).
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
export const ENTRY = resolve(ROOT, 'client/index.ts');
export const CONSOLE_BUNDLE = resolve(ROOT, 'web/switchboard-client.js');

const BANNER = '// Generated from client/ by `npm run build:client`: edit client/*.ts, not this file.';

export async function bundleClient(options: { minify: boolean }): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: options.minify,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
    ...(options.minify ? {} : { banner: { js: BANNER } }),
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error('esbuild wrote nothing');
  return file.text;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await writeFile(CONSOLE_BUNDLE, await bundleClient({ minify: false }));
  console.log(`wrote ${CONSOLE_BUNDLE}`);
}
