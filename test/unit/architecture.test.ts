import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layers of docs/architecture.md, checked on the source itself: every `.ts` file's imports are read
 * (no dependency: a scan of its import and export statements), relative ones resolved to files, and the
 * rules below applied. Hosts (local/, infra/, bench/, test/) may import anything; they are outside the
 * layer rules, and local/ is inside the cycle rule.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Import {
  /** The specifier as written. */
  spec: string;
  /** The file it resolves to (repository-relative), for a relative specifier. */
  file: string | null;
  /** `import type …` / `export type … from`: erased when compiled, loads nothing. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

const STATEMENT = /^(import|export)\s+(type\s+)?([^;]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string, text = readFileSync(join(ROOT, file), 'utf8')): Import[] {
  const found: Import[] = [];
  for (const m of text.matchAll(STATEMENT)) {
    if (m[1] === 'export' && !m[3]) continue; // `export 'x'` is no statement
    found.push({ spec: m[4]!, file: resolveSpec(file, m[4]!), typeOnly: Boolean(m[2]) });
  }
  for (const m of text.matchAll(DYNAMIC))
    found.push({ spec: m[1]!, file: resolveSpec(file, m[1]!), typeOnly: false });
  return found;
}

function resolveSpec(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = join(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    if (existsSync(join(ROOT, candidate)) && statSync(join(ROOT, candidate)).isFile()) return candidate;
  }
  throw new Error(`${from}: cannot resolve "${spec}"`);
}

const layerOf = (file: string): string => {
  const m = /^shared\/(core|features|adapters|app)\//.exec(file);
  return m ? m[1]! : file.split('/')[0]!;
};
/** `shared/features/rooms/push.ts` → `rooms`; the registry files at the root of features/ → null. */
const featureOf = (file: string): string | null => /^shared\/features\/([^/]+)\//.exec(file)?.[1] ?? null;

const APPLICATION = ['shared', 'lambdas', 'server'].flatMap(sourceFiles);
const ALL = ['shared', 'lambdas', 'server', 'local', 'infra', 'bench', 'test'].flatMap(sourceFiles);
const graph = new Map(ALL.map((f) => [f, importsOf(f)]));

/** The one SDK package server/ imports (its default credentials for the lean clients); nothing else does. */
const SERVER_CREDENTIALS = '@aws-sdk/credential-provider-node';

/** Every rule break of the application code, as `file → import: why`. */
function layerViolations(files: readonly string[], imports: (file: string) => Import[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const layer = layerOf(file);
    for (const imp of imports(file)) {
      const say = (why: string) => out.push(`${file} → ${imp.spec}: ${why}`);
      if (imp.spec === SERVER_CREDENTIALS) {
        // The lean clients read a Lambda's keys from its environment; a service elsewhere needs the chain.
        if (!file.startsWith('server/'))
          say('the SDK’s default credential chain is the server library’s only');
      } else if (imp.spec.startsWith('@aws-sdk/') && !['adapters', 'app'].includes(layer)) {
        say('the AWS SDK is for shared/adapters and shared/app only');
      }
      if (!imp.file) continue;
      const target = layerOf(imp.file);
      if (layer === 'core' && target !== 'core') say('the core imports nothing outside shared/core');
      if (layer === 'features') {
        if (!['core', 'features'].includes(target)) say('a feature imports the core and its own folder only');
        const own = featureOf(file);
        const other = featureOf(imp.file);
        // The registry files (features/manifests.ts, features/index.ts) list the features: own === null.
        if (own !== null && target === 'features' && other !== own) say('features do not import each other');
      }
      if (layer === 'adapters') {
        const storePort = /^shared\/features\/[^/]+\/store\.ts$/.test(imp.file);
        if (!['core', 'adapters'].includes(target) && !storePort) {
          say('an adapter imports the core, other adapters and features’ store ports only');
        }
      }
    }
  }
  return out;
}

/** Every import cycle among `files`, each as its path of files (type-only imports count too). */
function cycles(files: readonly string[], imports: (file: string) => Import[]): string[][] {
  const inScope = new Set(files);
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const imp of imports(file)) {
      if (!imp.file || !inScope.has(imp.file)) continue;
      if (state.get(imp.file) === 'open') found.push([...stack.slice(stack.indexOf(imp.file)), imp.file]);
      else if (!state.has(imp.file)) visit(imp.file);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return found;
}

/** What loading `file` loads (type-only imports erased): files, and packages by name. */
function loads(file: string, imports: (file: string) => Import[]) {
  const files = new Set<string>();
  const packages = new Set<string>();
  const walk = (f: string) => {
    if (files.has(f)) return;
    files.add(f);
    for (const imp of imports(f)) {
      if (imp.typeOnly) continue;
      if (imp.file) walk(imp.file);
      else packages.add(imp.spec);
    }
  };
  walk(file);
  return { files: [...files], packages: [...packages] };
}

const importsIn = (file: string) => graph.get(file) ?? importsOf(file);

describe('the layers of shared/ (docs/architecture.md)', () => {
  it('reads the imports it checks: every layer and lambda module is there, with imports', () => {
    for (const layer of ['core', 'features', 'adapters', 'app']) {
      expect(APPLICATION.filter((f) => layerOf(f) === layer).length).toBeGreaterThan(3);
    }
    expect(importsIn('lambdas/ws-message.ts').map((i) => i.file)).toContain('shared/app/websocket.ts');
    expect(importsIn('shared/core/ports.ts')).toContainEqual({
      spec: './auth/principal',
      file: 'shared/core/auth/principal.ts',
      typeOnly: true,
    });
  });

  it('keeps the core free of features, adapters, the composition and the AWS SDK; features apart; the SDK in adapters and app', () => {
    expect(layerViolations(APPLICATION, importsIn)).toEqual([]);
  });

  it('has no import cycle under shared/, lambdas/, server/ and local/', () => {
    const files = ALL.filter((f) => /^(shared|lambdas|server|local)\//.test(f));
    expect(cycles(files, importsIn)).toEqual([]);
  });

  it('keeps the route table pure data: infra loads it without a handler, zod, jose or the AWS SDK', () => {
    const { files, packages } = loads('shared/app/routes.ts', importsIn);
    expect(packages).toEqual([]);
    const allowed =
      /^shared\/(app\/routes|core\/auth\/principal|core\/session\/manifest|features\/manifests|features\/[^/]+\/manifest)\.ts$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
  });

  it('fails on a violation: the checks themselves catch what they are meant to', () => {
    const fake = new Map<string, Import[]>([
      ['shared/core/a.ts', [{ spec: '../features/x/y', file: 'shared/features/x/y.ts', typeOnly: true }]],
      ['shared/features/x/y.ts', [{ spec: '../z/w', file: 'shared/features/z/w.ts', typeOnly: false }]],
      ['shared/features/z/w.ts', [{ spec: '@aws-sdk/client-s3', file: null, typeOnly: false }]],
      ['shared/adapters/q.ts', [{ spec: '../app/runtime', file: 'shared/app/runtime.ts', typeOnly: false }]],
      ['shared/app/runtime.ts', [{ spec: '../core/a', file: 'shared/core/a.ts', typeOnly: false }]],
      ['shared/app/base-runtime.ts', [{ spec: SERVER_CREDENTIALS, file: null, typeOnly: false }]],
      ['server/index.ts', [{ spec: SERVER_CREDENTIALS, file: null, typeOnly: false }]],
    ]);
    const of = (f: string) => fake.get(f) ?? [];
    expect(layerViolations([...fake.keys()], of)).toHaveLength(5);
    fake.set('shared/features/x/y.ts', [{ spec: '../../core/a', file: 'shared/core/a.ts', typeOnly: false }]);
    expect(cycles([...fake.keys()], of)).toEqual([
      ['shared/core/a.ts', 'shared/features/x/y.ts', 'shared/core/a.ts'],
    ]);
  });
});

describe('one definition each', () => {
  const shared = APPLICATION.filter((f) => f.startsWith('shared/'));
  const count = (needle: RegExp) =>
    shared.flatMap((f) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(needle)].map(() => f));

  it('writes the channel-name character class once (core/protocol.ts)', () => {
    expect(count(/A-Za-z0-9_\\{1,2}-\.@=/g)).toEqual(['shared/core/protocol.ts']);
  });

  it('has one chat-text rule: MESSAGE_TOO_LONG is thrown in one place (core/protocol.ts)', () => {
    expect(count(/new ProtocolError\(\s*'MESSAGE_TOO_LONG'/g)).toEqual(['shared/core/protocol.ts']);
  });
});

describe('what the sources and the config name exists', () => {
  it('cites only Markdown files the project has (the kit’s are cited as ../shared/…)', () => {
    const cited = ALL.flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/(?<![\w/.-])((?:[\w-]+\/)*[\w-]+\.md)\b/g)].map(
        (m) => ({ file, name: m[1]! }),
      ),
    );
    const missing = cited.filter(
      ({ file, name }) =>
        !['', 'docs', dirname(file)].some((dir) => existsSync(join(ROOT, dir, name))) &&
        !existsSync(join(ROOT, 'docs', name.replace(/^docs\//, ''))),
    );
    expect(cited.length).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });

  it('has every folder tsconfig.json includes (a pattern matches at least one file)', () => {
    const { include } = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as {
      include: string[];
    };
    const names = readdirSync(ROOT);
    const pattern = (glob: string) => new RegExp(`^${glob.replaceAll('.', '\\.').replaceAll('*', '.*')}$`);
    const exists = (p: string) =>
      p.includes('*') ? names.some((name) => pattern(p).test(name)) : existsSync(join(ROOT, p));
    expect(include.filter((p) => !exists(p))).toEqual([]);
  });
});
