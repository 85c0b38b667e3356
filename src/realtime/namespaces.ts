// The namespaces this server serves: "/" always, plus NAMESPACES entries, each an exact
// name (/chat) or a glob (/tenant-*). Each namespace has its own adapter, so rooms,
// presence and user rooms never cross between them.
import type { Namespace, Server } from "socket.io";
import { globToRegExp } from "./room-access.js";

export type NamespaceSetup = (nsp: Namespace) => void;

// A namespace created here for the push API is new to this worker's adapter, which learns
// of the other workers' copies from their answers to its first heartbeat: give those
// answers (one IPC round trip) a moment before asking the cluster about it.
const DISCOVERY_MS = 150;

export class NamespaceDirectory {
  private readonly patterns: Array<{ glob: string; regex: RegExp; parent: ReturnType<Server["of"]> }> = [];

  constructor(
    private readonly io: Server,
    entries: readonly string[],
    setup: NamespaceSetup,
  ) {
    setup(io.of("/"));
    for (const entry of new Set(entries)) {
      if (!entry.includes("*")) {
        setup(io.of(entry));
        continue;
      }
      const regex = globToRegExp(entry);
      // A parent namespace: its middlewares and handlers apply to every child it creates.
      const parent = io.of(regex);
      setup(parent);
      this.patterns.push({ glob: entry, regex, parent });
    }
  }

  /** True when `name` is served (an exact entry or a match of a glob). */
  serves(name: string): boolean {
    return this.io._nsps.has(name) || this.patterns.some((p) => p.regex.test(name));
  }

  /** The namespace for a push API call, created on this worker if a glob allows it. */
  async resolve(name: string): Promise<Namespace | null> {
    const existing = this.io._nsps.get(name);
    if (existing) return existing;
    const pattern = this.patterns.find((p) => p.regex.test(name));
    if (!pattern) return null;
    const child = (pattern.parent as unknown as { createChild(name: string): Namespace }).createChild(name);
    await new Promise((resolve) => setTimeout(resolve, DISCOVERY_MS));
    return child;
  }
}
