// The client protocol: plain Socket.IO events, each answered through its acknowledgement
// with { ok: true, ... } or { ok: false, error: { code, message } }. A refusal never closes
// the socket, and an event without an ack callback is handled the same, silently.
import type { Namespace, Socket } from "socket.io";
import { errorBody, type ErrorBody } from "../errors.js";
import type { Logger } from "../log.js";
import { UnavailableError, type Delivery } from "./delivery.js";
import { identityOf, userRoom, type Identity } from "./identity.js";
import { kickUser } from "./kick.js";
import { announceJoin, announceLeave, presenceOf } from "./presence.js";
import { TokenBucket } from "./rate-limit.js";
import { atLeast, isClientRoom, isUserRoom, presenceWatchers, roleIn } from "./room-access.js";
import { describeIssues, joinInput, kickInput, publishInput, roomName } from "./schemas.js";

export type AckResponse = { ok: true; [key: string]: unknown } | (ErrorBody & { retryAfterMs?: number });
export type Reply = (response: AckResponse) => void;

export interface ProtocolLimits {
  maxMessageBytes: number;
  publishRate: number;
  publishBurst: number;
  maxRoomsPerSocket: number;
}

export interface ProtocolDeps {
  delivery: Delivery;
  limits: ProtocolLimits;
  /** This worker's slot, told to clients by `whoami` (handy to see where a socket landed). */
  slot: number;
  log: Logger;
}

export const CLIENT_EVENTS = ["join", "leave", "publish", "presence", "kick", "whoami"] as const;
const KNOWN = new Set<string>(CLIENT_EVENTS);

/** Registers the protocol on one namespace (or parent namespace). */
export function handleConnections(nsp: Namespace, deps: ProtocolDeps): void {
  nsp.on("connection", (socket) => {
    const identity = identityOf(socket);
    if (!identity) {
      // Only reachable if the auth middleware was not installed: refuse rather than guess.
      socket.disconnect(true);
      return;
    }
    void Promise.resolve(socket.join(userRoom(identity.sub)));
    new ClientSession(socket.nsp, socket, identity, deps).listen();
  });
}

class ClientSession {
  private readonly bucket: TokenBucket;
  private loggedUnknownEvent = false;
  private readonly loggedRefusals = new Set<string>();
  private readonly log: Logger;

  constructor(
    private readonly nsp: Namespace,
    private readonly socket: Socket,
    private readonly identity: Identity,
    private readonly deps: ProtocolDeps,
  ) {
    this.bucket = new TokenBucket(deps.limits.publishRate, deps.limits.publishBurst);
    this.log = deps.log;
  }

  listen(): void {
    const on = (event: (typeof CLIENT_EVENTS)[number], handler: (input: unknown, reply: Reply) => Promise<void> | void) => {
      this.socket.on(event, (input: unknown, ack: unknown) => {
        // A client that sends only a callback (no payload) still gets its answer.
        if (typeof input === "function" && ack === undefined) [input, ack] = [undefined, input];
        const reply = this.replier(event, ack);
        Promise.resolve()
          .then(() => handler(input, reply))
          .catch((err: unknown) => {
            if (err instanceof UnavailableError) return reply(errorBody(err.code, err.message));
            this.log.warn("an event failed", { sid: this.socket.id, event, error: err });
            reply(errorBody("unavailable", "the server could not complete this request right now; retry"));
          });
      });
    };
    on("join", (input, reply) => this.join(input, reply));
    on("leave", (input, reply) => this.leave(input, reply));
    on("publish", (input, reply) => this.publish(input, reply));
    on("presence", (input, reply) => this.presence(input, reply));
    on("kick", (input, reply) => this.kick(input, reply));
    on("whoami", (_input, reply) =>
      reply({ ok: true, sub: this.identity.sub, name: this.identity.name, anonymous: this.identity.anonymous, namespace: this.nsp.name, worker: this.deps.slot }),
    );
    this.socket.onAny((event: unknown, ...args: unknown[]) => this.unknownEvent(event, args));

    let leaving: string[] = [];
    this.socket.on("disconnecting", () => {
      leaving = [...this.socket.rooms].filter((r) => isClientRoom(r, this.socket.id));
    });
    this.socket.on("disconnect", () => {
      announceLeave(this.nsp, this.identity, leaving).catch((err: unknown) => this.log.debug("presence leave not announced", { error: err }));
    });
  }

  private async join(input: unknown, reply: Reply): Promise<void> {
    const parsed = joinInput.safeParse(input);
    if (!parsed.success) return reply(errorBody("invalid_room", describeIssues(parsed.error)));
    const { room, presence: watchPresence } = parsed.data;
    if (isUserRoom(room)) return reply(errorBody("forbidden", "user:* rooms are joined by the server only: every socket is already in its own user:<sub> room"));
    const role = roleIn(this.identity, room);
    if (!role) return reply(errorBody("forbidden", `your token grants no role in room "${room}"`));
    // Presence change events only for members who asked for them (see joinInput).
    const watch = watchPresence && atLeast(role, "member") ? [presenceWatchers(room)] : [];
    if (this.socket.rooms.has(room)) {
      if (watch.length > 0) await this.socket.join(watch);
      return reply({ ok: true, room });
    }
    const joined = [...this.socket.rooms].filter((r) => isClientRoom(r, this.socket.id)).length;
    if (joined >= this.deps.limits.maxRoomsPerSocket) {
      return reply(errorBody("too_many_rooms", `a socket may be in at most ${this.deps.limits.maxRoomsPerSocket} rooms; leave one first`));
    }
    await this.socket.join([room, ...watch]);
    // Announce before the ack, so a client that acts on its ack (leaves, disconnects) never
    // overtakes its own announcement.
    await announceJoin(this.nsp, this.socket.id, this.identity, room).catch((err: unknown) =>
      this.log.debug("presence join not announced", { error: err }),
    );
    reply({ ok: true, room });
  }

  private async leave(input: unknown, reply: Reply): Promise<void> {
    const parsed = roomName.safeParse(input);
    if (!parsed.success) return reply(errorBody("invalid_room", describeIssues(parsed.error)));
    const room = parsed.data;
    if (isUserRoom(room)) return reply(errorBody("forbidden", "a socket cannot leave its user room"));
    const wasIn = this.socket.rooms.has(room);
    await this.socket.leave(room);
    await this.socket.leave(presenceWatchers(room));
    if (wasIn) await announceLeave(this.nsp, this.identity, [room]).catch((err: unknown) => this.log.debug("presence leave not announced", { error: err }));
    reply({ ok: true, room });
  }

  private async publish(input: unknown, reply: Reply): Promise<void> {
    const parsed = publishInput.safeParse(input);
    if (!parsed.success) return reply(errorBody("invalid_message", describeIssues(parsed.error)));
    const { room, type, data, id } = parsed.data;
    if (isUserRoom(room)) return reply(errorBody("forbidden", "user:* rooms are written by the push API only"));
    const role = roleIn(this.identity, room);
    if (!atLeast(role, "member")) {
      return reply(errorBody("forbidden", role === "viewer" ? `you are a viewer of room "${room}": viewers receive but cannot publish` : `your token grants no role in room "${room}"`));
    }
    const size = jsonBytes(data);
    if (size > this.deps.limits.maxMessageBytes) {
      return reply(errorBody("payload_too_large", `data is ${size} bytes of JSON; the limit is ${this.deps.limits.maxMessageBytes}`));
    }
    const token = this.bucket.take();
    if (!token.ok) {
      return reply({ ...errorBody("rate_limited", `publishing too fast: at most ${this.deps.limits.publishRate} per second; retry in ${token.retryAfterMs} ms`), retryAfterMs: token.retryAfterMs });
    }
    const delivered = await this.deps.delivery.publish(this.nsp, { room }, { type, data, id, from: this.identity.sub });
    reply(delivered.duplicate ? { ok: true, id: delivered.id, duplicate: true } : { ok: true, id: delivered.id });
  }

  private async presence(input: unknown, reply: Reply): Promise<void> {
    const parsed = roomName.safeParse(input);
    if (!parsed.success) return reply(errorBody("invalid_room", describeIssues(parsed.error)));
    const room = parsed.data;
    const role = roleIn(this.identity, room);
    const isMember = this.socket.rooms.has(room) && atLeast(role, "member");
    if (!isMember && role !== "admin") {
      return reply(errorBody("forbidden", `presence of "${room}" is for its members (join it first) and its admins`));
    }
    reply({ ok: true, room, members: await presenceOf(this.nsp, room) });
  }

  private async kick(input: unknown, reply: Reply): Promise<void> {
    const parsed = kickInput.safeParse(input);
    if (!parsed.success) return reply(errorBody("invalid_request", describeIssues(parsed.error)));
    const { room, sub } = parsed.data;
    if (roleIn(this.identity, room) !== "admin") return reply(errorBody("forbidden", `only admins of "${room}" can kick`));
    const sockets = await kickUser(this.nsp, room, sub, this.identity.sub);
    reply({ ok: true, room, sub, sockets });
  }

  private unknownEvent(event: unknown, args: unknown[]): void {
    if (typeof event === "string" && KNOWN.has(event)) return;
    const ack = args[args.length - 1];
    const name = typeof event === "string" ? event.slice(0, 64) : typeof event;
    // One log line per socket: a client looping on a bad event must not flood the log.
    if (!this.loggedUnknownEvent) {
      this.loggedUnknownEvent = true;
      this.log.info("ignored an unknown event", { sid: this.socket.id, event: name, code: "unknown_event" });
    }
    if (typeof ack === "function") {
      (ack as Reply)(errorBody("unknown_event", `unknown event "${name}"; this server handles ${CLIENT_EVENTS.join(", ")}`));
    }
  }

  /**
   * Wraps a client's ack callback: tolerates a missing one and logs each refusal once. A
   * client repeating the same mistake (a publish flood past its rate, say) is logged at
   * info the first time per socket and event and code, and at debug after that.
   */
  private replier(event: string, ack: unknown): Reply {
    let answered = false;
    return (response) => {
      if (answered) return;
      answered = true;
      if (!response.ok) {
        const key = `${event} ${response.error.code}`;
        const fields = { sid: this.socket.id, sub: this.identity.sub, event, code: response.error.code };
        if (this.loggedRefusals.has(key)) this.log.debug("refused a client event", fields);
        else {
          if (this.loggedRefusals.size < 32) this.loggedRefusals.add(key);
          this.log.info("refused a client event", fields);
        }
      }
      if (typeof ack === "function") ack(response);
    };
  }
}

function jsonBytes(data: unknown): number {
  if (data === undefined) return 0;
  try {
    return Buffer.byteLength(JSON.stringify(data) ?? "");
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
