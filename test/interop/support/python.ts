import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { Frame } from '../../integration/support/client';

/**
 * Foreign clients written in Python, run against the local stack. The Python is Debian's /usr/bin/python3
 * with Debian's packages (`.ci/run` installs them): the pyenv python3 on PATH cannot see those. Elsewhere,
 * SWITCHBOARD_PYTHON names a python3 that can import what the scripts import.
 */
const PYTHON = process.env.SWITCHBOARD_PYTHON ?? '/usr/bin/python3';
/** A clean environment (no pyenv or virtualenv variables leaking into Debian's Python); `print` unbuffered. */
const PYTHON_ENV = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', PYTHONUNBUFFERED: '1' };
const WAIT_MS = 20_000;

/** A Python literal (what `print(dict)` shows) as JSON, read by PYTHON's own `ast.literal_eval`. */
export function pythonLiteral(text: string): unknown {
  const run = spawnSync(
    PYTHON,
    ['-c', 'import ast, json, sys; print(json.dumps(ast.literal_eval(sys.stdin.read())))'],
    { env: PYTHON_ENV, input: text, encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`not a Python literal: ${text}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** Fails (for a beforeAll) with what to install when PYTHON cannot import `module`. */
export function requirePythonModule(module: string, debianPackage: string): void {
  const check = spawnSync(PYTHON, ['-c', `import ${module}`], { env: PYTHON_ENV });
  if (check.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import ${module}: install it (Debian: apt-get install ${debianPackage}) ` +
        `or set SWITCHBOARD_PYTHON to a python3 that can`,
    );
  }
}

export type PythonClient = ReturnType<typeof startScript>;

/**
 * Runs the scripts in test/interop/python/ that print one JSON frame per line on stdout; `stopAll()`
 * (in an afterEach) ends any still running.
 */
export function pythonPool() {
  const running: ChildProcessWithoutNullStreams[] = [];
  return {
    /** `parse` turns a printed line into a frame (default: the line is JSON). */
    run(script: string, args: string[], parse: (line: string) => Frame = JSON.parse): PythonClient {
      const client = startScript(script, args, parse);
      running.push(client.child);
      return client;
    },
    stopAll(): void {
      for (const child of running.splice(0)) if (child.exitCode === null) child.kill();
    },
  };
}

function startScript(script: string, args: string[], parse: (line: string) => Frame) {
  const child = spawn(PYTHON, [resolve(import.meta.dirname, '../python', script), ...args], {
    env: PYTHON_ENV,
  });
  const printed: Frame[] = [];
  let pending = '';
  let stderr = '';
  let wake = () => {};
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) printed.push(parse(line));
    wake();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((done) =>
    child.on('close', (code) => {
      wake();
      done({ code, stderr });
    }),
  );

  return {
    child,
    printed,
    exited,
    /** The first printed frame that matches (waiting for it if need be). */
    async printedFrame(match: (f: Frame) => boolean, what: string): Promise<Frame> {
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const found = printed.find(match);
        if (found) return found;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(
            `${script} printed no ${what}; printed ${JSON.stringify(printed)}; stderr: ${stderr}`,
          );
        }
        await new Promise<void>((woken) => {
          const timer = setTimeout(woken, 200);
          wake = () => {
            clearTimeout(timer);
            woken();
          };
        });
      }
    },
  };
}
