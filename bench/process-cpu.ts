import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds (user + system) of one process: all its threads, and those by thread name. */
export interface ProcessCpu {
  seconds: number;
  byThread: Map<string, number>;
}

let ticksPerSecond: number | undefined;

/**
 * What another process has used of the CPU so far, read from /proc (Linux). Null where there is no /proc
 * or the process is gone. Threads of one pool (`qtp123-45`) are summed under their name without digits.
 */
export function processCpu(pid: number): ProcessCpu | null {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  ticksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
  const byThread = new Map<string, number>();
  let seconds = 0;
  for (const task of tasks) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const { name, seconds: used } = parseTaskStat(stat, ticksPerSecond);
    seconds += used;
    byThread.set(name, (byThread.get(name) ?? 0) + used);
  }
  return { seconds, byThread };
}

/** What a process used between two readings, all threads and by thread name. */
export function cpuSince(before: ProcessCpu, after: ProcessCpu): ProcessCpu {
  const byThread = new Map<string, number>();
  for (const [name, s] of after.byThread) byThread.set(name, s - (before.byThread.get(name) ?? 0));
  return { seconds: after.seconds - before.seconds, byThread };
}

/**
 * A thread's name (digits as `#`, so a pool's threads share one) and CPU seconds, from its
 * /proc/…/task/…/stat line: "tid (name) state ppid …", utime and stime its 14th and 15th fields. The name
 * may hold spaces and parentheses, so the fields are counted from the last ")".
 */
export function parseTaskStat(stat: string, ticksPerSecond: number): { name: string; seconds: number } {
  const close = stat.lastIndexOf(')');
  const name = stat.slice(stat.indexOf('(') + 1, close).replace(/\d+/g, '#');
  const fields = stat.slice(close + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`not a /proc stat line: ${stat.slice(0, 80)}`);
  return { name, seconds: ticks / ticksPerSecond };
}
