// Peer 5, the limit: a bare uWebSockets.js server that speaks the Engine.IO v4 /
// Socket.IO v5 framing of the realtime-edge protocol (websocket transport only) with no
// Socket.IO logic: rooms are uWS topics (native pub/sub). It shows what the machine can do.
//
// Trap: uWS batches the writes of many publishes to one subscriber into one send only
// when `app.publish` runs outside a uWS callback; inside one, every delivery is its own
// syscall (see shared DESIGN, performance notes). So publishes and their acks are queued
// and flushed from setImmediate, the way Socket.IO itself dispatches events later.
//
// Env: HOST, PORT (0 = any). Needs `npm run build` (it loads the binary through
// dist/worker/uws-native.js, which refuses the package's JavaScript fallback).
import { loadNativeUws } from "../../dist/worker/uws-native.js";
import { announceReady, HOST, messageId, PORT } from "./protocol.mjs";

const loaded = loadNativeUws();
if (!loaded.ok) {
  process.stderr.write(`uWebSockets.js native binary unavailable: ${loaded.reason}\n`);
  process.exit(2);
}
const uws = loaded.uws;
const app = uws.App();
const decoder = new TextDecoder();

// Deferred work: [topic, frame] publishes and [ws, frame] sends, flushed in one go.
let queue = [];
let flushScheduled = false;
function later(target, frame) {
  queue.push(target, frame);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}
function flush() {
  flushScheduled = false;
  const work = queue;
  queue = [];
  for (let i = 0; i < work.length; i += 2) {
    const target = work[i];
    if (typeof target === "string") app.publish(target, work[i + 1], false);
    else if (!target.getUserData().closed) target.send(work[i + 1], false);
  }
}

let nextSid = 0;
const PING = "#ping";
const validRoom = (room) => typeof room === "string" && room.length >= 1 && room.length <= 128;

app.ws("/socket.io/*", {
  compression: uws.DISABLED,
  idleTimeout: 64,
  maxPayloadLength: 1_000_000,
  // Deliveries to a slow reader wait in memory instead of being skipped.
  maxBackpressure: 64 * 1024 * 1024,
  upgrade: (res, req, context) => {
    const sid = `${process.pid.toString(36)}${(nextSid++).toString(36)}`.padEnd(20, "0");
    res.upgrade(
      { sid, closed: false },
      req.getHeader("sec-websocket-key"),
      req.getHeader("sec-websocket-protocol"),
      req.getHeader("sec-websocket-extensions"),
      context,
    );
  },
  open: (ws) => {
    const { sid } = ws.getUserData();
    ws.subscribe(PING);
    ws.send(`0{"sid":"${sid}","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`, false);
  },
  message: (ws, message) => {
    const text = decoder.decode(message);
    if (text.startsWith("40")) {
      ws.send(`40{"sid":"${ws.getUserData().sid}"}`, false);
      return;
    }
    if (!text.startsWith("42")) return; // pongs and anything else
    let i = 2;
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    const ackId = text.slice(2, i);
    let event;
    try {
      event = JSON.parse(text.slice(i));
    } catch {
      return;
    }
    const [name, arg] = event;
    if (name === "join") {
      if (!validRoom(arg)) return later(ws, `43${ackId}[{"ok":false,"error":{"code":"invalid_room","message":"bad room"}}]`);
      ws.subscribe(arg);
      later(ws, `43${ackId}${JSON.stringify([{ ok: true, room: arg }])}`);
    } else if (name === "publish") {
      if (!arg || !validRoom(arg.room) || typeof arg.type !== "string" || arg.type.length === 0) {
        return later(ws, `43${ackId}[{"ok":false,"error":{"code":"invalid_message","message":"bad message"}}]`);
      }
      const id = messageId();
      const envelope = { id, room: arg.room, type: arg.type, data: arg.data, from: ws.getUserData().sid, timestamp: Date.now() };
      later(arg.room, `42${JSON.stringify(["message", envelope])}`);
      later(ws, `43${ackId}${JSON.stringify([{ ok: true, id }])}`);
    }
  },
  close: (ws) => {
    ws.getUserData().closed = true;
  },
});

app.get("/readyz", (res) => {
  res.cork(() => res.writeHeader("content-type", "application/json").end('{"ok":true,"ready":true}'));
});
app.any("/*", (res) => {
  res.cork(() => res.writeStatus("404 Not Found").end());
});

// Engine.IO servers ping every 25 s; one publish reaches every socket.
setInterval(() => app.publish(PING, "2", false), 25_000).unref();

app.listen(HOST, PORT, (listenSocket) => {
  if (!listenSocket) {
    process.stderr.write(`could not listen on ${HOST}:${PORT}\n`);
    process.exit(1);
  }
  announceReady(1, "limit", HOST, uws.us_socket_local_port(listenSocket));
});
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
