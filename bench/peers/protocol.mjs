// The realtime-edge client protocol (join / publish with acks, `message` envelopes) for the
// socket.io peers, written the way a Socket.IO user would write it: plain handlers, light
// validation, one envelope per publish. Same payloads as src/realtime, so every peer does
// the same work per event.
let counter = 0;

/** A unique, time-ordered id (realtime-edge uses a ULID; this costs about the same). */
export function messageId() {
  counter = (counter + 1) % 1e9;
  return `${Date.now().toString(36)}-${process.pid.toString(36)}-${counter.toString(36)}`;
}

const validRoom = (room) => typeof room === "string" && room.length >= 1 && room.length <= 128;

export function registerProtocol(io) {
  io.on("connection", (socket) => {
    socket.on("join", (room, ack) => {
      if (!validRoom(room)) return reply(ack, { ok: false, error: { code: "invalid_room", message: "bad room" } });
      socket.join(room);
      reply(ack, { ok: true, room });
    });
    socket.on("publish", (input, ack) => {
      if (!input || !validRoom(input.room) || typeof input.type !== "string" || input.type.length === 0) {
        return reply(ack, { ok: false, error: { code: "invalid_message", message: "bad message" } });
      }
      const id = messageId();
      io.to(input.room).emit("message", {
        id,
        room: input.room,
        type: input.type,
        data: input.data,
        from: socket.id,
        timestamp: Date.now(),
      });
      reply(ack, { ok: true, id });
    });
  });
}

function reply(ack, body) {
  if (typeof ack === "function") ack(body);
}

/** The line the harness waits for (the same shape realtime-edge prints). */
export function announceReady(workers, engine, host, port) {
  const ms = Math.round(performance.now());
  process.stdout.write(`ready: ${workers} workers, engine ${engine}, listening on http://${host}:${port}, ${ms} ms from start\n`);
}

export function readyzHandler(req, res) {
  if (req.url === "/readyz" || req.url === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true,"ready":true}');
    return true;
  }
  return false;
}

export const HOST = process.env.HOST ?? "127.0.0.1";
export const PORT = Number(process.env.PORT ?? 0);
export const WORKERS = Number(process.env.WORKERS ?? 2);
