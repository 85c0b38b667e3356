// Server resource use read from /proc: resident memory and CPU time summed over every
// process of a peer (its primary or only process plus all descendants: cluster workers).
import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface ProcessUsage {
  pids: number[];
  rssBytes: number;
  cpuSeconds: number;
}

function readStat(pid: number): { ppid: number; cpuTicks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return {
      ppid: Number(fields[1]),
      cpuTicks: Number(fields[11]) + Number(fields[12]),
    };
  } catch {
    return undefined;
  }
}

/** `root` and every process below it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(pid);
    children.set(stat.ppid, list);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0 && tree.length < 1024) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

export function usageOf(pids: number[]): ProcessUsage {
  let rssBytes = 0;
  let ticks = 0;
  const alive: number[] = [];
  for (const pid of pids) {
    const stat = readStat(pid);
    if (!stat) continue;
    alive.push(pid);
    ticks += stat.cpuTicks;
    rssBytes += vmRssBytes(pid);
  }
  return { pids: alive, rssBytes, cpuSeconds: ticks / CLOCK_TICKS };
}

/** Resident memory from /proc/<pid>/status (VmRSS), a cross-check of the stat figure. */
export function vmRssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds and RSS of this load generator process, to show what the client cost. */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
