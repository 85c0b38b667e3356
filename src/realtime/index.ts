// The client protocol: plain Socket.IO events with acknowledgements.
//   join(room, ack)                     → { ok: true, room }
//   leave(room, ack)                    → { ok: true, room }
//   publish({ room, type, data }, ack)  → { ok: true, id }; room members get `message`
// Bad input is answered with { ok: false, error: { code, message } } and the socket lives on.
import type { Server, Socket } from "socket.io";
import { errorBody, type ErrorBody } from "../errors.js";
import type { Logger } from "../log.js";
import { makeEnvelope } from "./envelope.js";
import { describeIssues, publishInput, roomName } from "./schemas.js";

export type Ack = (response: { ok: true; [key: string]: unknown } | ErrorBody) => void;

export interface RealtimeDeps {
  log: Logger;
}

export function registerRealtime(io: Server, deps: RealtimeDeps): void {
  const log = deps.log;
  io.on("connection", (socket) => {
    socket.on("join", (room: unknown, ack: unknown) => {
      const reply = replier(socket, "join", ack, log);
      const parsed = roomName.safeParse(room);
      if (!parsed.success) return reply(errorBody("invalid_room", describeIssues(parsed.error)));
      void Promise.resolve(socket.join(parsed.data)).then(() => reply({ ok: true, room: parsed.data }));
    });

    socket.on("leave", (room: unknown, ack: unknown) => {
      const reply = replier(socket, "leave", ack, log);
      const parsed = roomName.safeParse(room);
      if (!parsed.success) return reply(errorBody("invalid_room", describeIssues(parsed.error)));
      void Promise.resolve(socket.leave(parsed.data)).then(() => reply({ ok: true, room: parsed.data }));
    });

    socket.on("publish", (input: unknown, ack: unknown) => {
      const reply = replier(socket, "publish", ack, log);
      const parsed = publishInput.safeParse(input);
      if (!parsed.success) return reply(errorBody("invalid_message", describeIssues(parsed.error)));
      const { room, type, data } = parsed.data;
      const envelope = makeEnvelope(room, type, data, socket.id);
      io.to(room).emit("message", envelope);
      reply({ ok: true, id: envelope.id });
    });
  });
}

/** Wraps a client's ack callback: tolerates a missing one, logs refusals once. */
function replier(socket: Socket, event: string, ack: unknown, log: Logger): Ack {
  return (response) => {
    if (!response.ok) log.info("refused a client event", { sid: socket.id, event, code: response.error.code });
    if (typeof ack === "function") ack(response);
  };
}
