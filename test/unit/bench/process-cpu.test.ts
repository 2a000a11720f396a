import { platform } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cpuSince, parseTaskStat, processCpu } from '../../../bench/process-cpu';

describe('parseTaskStat', () => {
  it('reads utime + stime after a name with spaces and parentheses, digits folded', () => {
    // 52 fields as Linux writes them; utime 150 and stime 50 ticks are the 14th and 15th.
    const line = '4242 (qtp1234-56 (x) y) S 1 4242 4242 0 -1 4194304 10 0 0 0 150 50 0 0 20 0 40 0 100 1 1';
    expect(parseTaskStat(line, 100)).toEqual({ name: 'qtp#-# (x) y', seconds: 2 });
  });

  it('refuses what is not a stat line', () => {
    expect(() => parseTaskStat('nothing here', 100)).toThrow(/not a \/proc stat line/);
  });
});

describe.runIf(platform() === 'linux')('processCpu', () => {
  it("counts this process's CPU as it burns some, on the thread that burnt it", () => {
    const before = processCpu(process.pid);
    expect(before).not.toBeNull();
    const until = performance.now() + 300;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const after = processCpu(process.pid);
    expect(after).not.toBeNull();
    const used = cpuSince(before!, after!);
    expect(x).toBeGreaterThan(0);
    // 300 ms of a busy loop: at least 0.2 s counted (ticks of 10 ms, some time off the CPU), most of it
    // on threads of this process's name.
    expect(used.seconds).toBeGreaterThanOrEqual(0.2);
    expect(Math.max(...used.byThread.values())).toBeGreaterThanOrEqual(0.2);
  });

  it('is null for a process that is not there', () => {
    expect(processCpu(2 ** 30)).toBeNull();
  });
});
