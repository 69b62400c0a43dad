/**
 * @module bench/lib/proc
 * CPU time of workerd processes read from Linux `/proc` (user + system ticks; 100 ticks a second here),
 * and the machine's core count: how the bench measures isolate CPU without trusting wall time.
 */
import { readFileSync, readdirSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";

const TICKS_PER_SECOND = 100;

/**
 * CPU seconds used so far by every `workerd` process descending from `ancestor` (default: this
 * process). Resolution 10 ms: divide a difference by hundreds of deliveries, not a few.
 *
 * @example
 * const before = workerdCpuSeconds(stack.workerPid);
 * // … deliveries …
 * const msPerDelivery = ((workerdCpuSeconds(stack.workerPid) - before) * 1000) / count;
 */
export function workerdCpuSeconds(ancestor: number = process.pid): number {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  const cpu = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const fields = stat.slice(close + 2).split(" ");
      names.set(Number(entry), stat.slice(stat.indexOf("(") + 1, close));
      parents.set(Number(entry), Number(fields[1]));
      cpu.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND);
    } catch {
      // the process ended while we looked
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === ancestor) return true;
    return false;
  };
  let total = 0;
  for (const [pid, name] of names) if (name.startsWith("workerd") && descends(pid)) total += cpu.get(pid) ?? 0;
  return total;
}

/**
 * The machine the figures were measured on: cores Node may use and the CPU model.
 *
 * @example
 * const { cores } = machine();
 */
export function machine(): { cores: number; cpu: string; node: string } {
  return { cores: availableParallelism(), cpu: cpus()[0]?.model.trim() ?? "unknown", node: process.version };
}
