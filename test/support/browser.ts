import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Browser, chromium as playwright } from 'playwright-core';

/**
 * The Chromium that browser tests drive with playwright-core. Nothing downloads a browser; the first of
 * these that exists is used:
 *  1. `CHROMIUM_PATH`, a Chrome or Chromium binary of your choice;
 *  2. the Chromium that the `@sparticuz/chromium` devDependency ships inside its npm package (Linux x64;
 *     brotli-compressed, unpacked once per installed version into node_modules/.cache);
 *  3. Debian's `/usr/bin/chromium` (apt-get install chromium).
 */
export async function launchChromium(): Promise<Browser> {
  const found = await findChromium();
  const args = [...new Set([...found.args, ...FLAGS])];
  return playwright.launch({ executablePath: found.path, args }).catch((error: unknown) => {
    // The npm-shipped binary also needs the system's NSS (libnss3; Java 17's package depends on it).
    throw new Error(`Chromium from ${found.from} (${found.path}) did not start`, { cause: error });
  });
}

/**
 * Every launch: no sandbox (tests run as root in CI); no GPU; and nothing that reaches for Google's hosts
 * (this machine has no network but loopback: without these, Chromium's refused connections pile up).
 */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // CI containers often have a 64 MB /dev/shm.
  '--disable-dev-shm-usage',
];

/**
 * @sparticuz/chromium's serverless flags that a test must not have: `--single-process` makes the browser
 * exit when Playwright closes a page; the other two let a page do what a user's browser forbids (a CORS
 * mistake would pass the test).
 */
const DROPPED_PACKAGE_FLAGS = new Set([
  '--single-process',
  '--disable-web-security',
  '--allow-running-insecure-content',
]);

const DEBIAN_CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(import.meta.dirname, '../..');
const PACKAGE_DIR = join(ROOT, 'node_modules/@sparticuz/chromium');

/** A Chromium binary, the flags it needs beyond FLAGS, and which of the three it is. */
type Found = { path: string; args: string[]; from: string };

let finding: Promise<Found> | undefined;
/** Once per test file's process: the npm Chromium's unpacking is not repeated within a run. */
function findChromium(): Promise<Found> {
  finding ??= lookUp();
  return finding;
}

async function lookUp(): Promise<Found> {
  const chosen = process.env.CHROMIUM_PATH;
  if (chosen) {
    // Set on purpose: a wrong path is an error, not a reason to drive some other browser.
    if (!existsSync(chosen)) throw new Error(`CHROMIUM_PATH=${chosen}: no such file`);
    return { path: chosen, args: [], from: 'CHROMIUM_PATH' };
  }
  const tried = ['CHROMIUM_PATH: not set'];
  const shipped = await npmChromium();
  if (typeof shipped !== 'string') return shipped;
  tried.push(`@sparticuz/chromium: ${shipped}`);
  if (existsSync(DEBIAN_CHROMIUM)) return { path: DEBIAN_CHROMIUM, args: [], from: 'Debian' };
  tried.push(`${DEBIAN_CHROMIUM}: no such file`);
  throw new Error(
    `No Chromium for the browser tests. Tried, in order:\n${tried.map((t) => `  - ${t}`).join('\n')}\n` +
      'Run `npm ci` (Linux x64: it installs @sparticuz/chromium), set CHROMIUM_PATH to a Chrome or ' +
      'Chromium binary, or install Debian’s (apt-get install chromium).',
  );
}

/** The npm-shipped Chromium and its flags, or why there is none. */
async function npmChromium(): Promise<Found | string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return `ships a Linux x64 binary, this is ${process.platform} ${process.arch}`;
  }
  if (!existsSync(PACKAGE_DIR)) return `not installed (no ${PACKAGE_DIR}; run npm ci)`;
  const { default: Chromium } = await import('@sparticuz/chromium');
  // WebGL off: no SwiftShader flags that would contradict --disable-gpu.
  Chromium.setGraphicsMode = false;
  const args = Chromium.args.filter((flag) => !DROPPED_PACKAGE_FLAGS.has(flag));
  return { path: await unpacked(() => Chromium.executablePath()), args, from: '@sparticuz/chromium' };
}

/**
 * The package unpacks its binary, fonts and SwiftShader into os.tmpdir() itself (its Lambda home), and takes
 * any existing `$TMPDIR/chromium` as done — on a shared /tmp, a half-written file of another run, or another
 * version. So it unpacks here into a fresh directory of its own (TMPDIR pointed there for the call), which
 * is then renamed into place whole: two test files or two runs unpacking at once each finish their own, the
 * first rename wins and the other's copy is removed.
 */
async function unpacked(executablePath: () => Promise<string>): Promise<string> {
  const { version } = JSON.parse(await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
    version: string;
  };
  const cache = join(ROOT, 'node_modules/.cache/switchboard-chromium');
  const dir = join(cache, version);
  const binary = join(dir, 'chromium');
  if (existsSync(binary)) return binary;

  await mkdir(cache, { recursive: true });
  const partial = await mkdtemp(join(cache, `.${version}-`));
  try {
    await unpackInto(partial, executablePath);
    await rename(partial, dir).catch((error: unknown) => {
      // Another process renamed its complete copy into place first.
      if (!existsSync(binary)) throw error;
    });
  } finally {
    // Only left there if unpacking failed or another copy won.
    await rm(partial, { recursive: true, force: true });
  }
  return binary;
}

async function unpackInto(dir: string, executablePath: () => Promise<string>): Promise<void> {
  const tmpdir = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    const unpackedTo = await executablePath();
    if (unpackedTo !== join(dir, 'chromium')) {
      throw new Error(`@sparticuz/chromium unpacked to ${unpackedTo}, expected ${dir}/chromium`);
    }
  } finally {
    if (tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdir;
  }
}
