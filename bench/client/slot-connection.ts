// Connections that land on a chosen worker. With SO_REUSEPORT the kernel picks the worker
// for each new TCP connection; to measure the mesh (a request or websocket landing on a
// worker that does not own the session) we open a connection, ask it `GET /healthz` (which
// names the worker's slot) and keep it only if it reached the slot we want. Keep-alive then
// holds it to that worker for the following requests.
import { connect, type Socket } from "node:net";
import { Client } from "undici";
import { nextSourceAddress } from "./source-addresses.js";

export interface SlotProbe {
  slot: number | null;
}

/** An undici Client (one keep-alive connection) whose worker slot we know. */
export async function httpClientOnSlot(origin: string, slot: number | null, maxAttempts: number): Promise<{ client: Client; slot: number | null }> {
  let lastSlot: number | null = null;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const client = new Client(origin, { pipelining: 1, keepAliveTimeout: 60_000, localAddress: nextSourceAddress() });
    try {
      const res = await client.request({ path: "/healthz", method: "GET" });
      const body = (await res.body.json()) as { slot?: unknown };
      lastSlot = typeof body.slot === "number" ? body.slot : null;
      if (slot === null || lastSlot === slot) return { client, slot: lastSlot };
    } catch {
      /* try another connection */
    }
    await client.close().catch(() => {});
  }
  throw new Error(`no connection reached worker slot ${slot} in ${maxAttempts} attempts (last: ${lastSlot})`);
}

/**
 * A raw TCP socket on the chosen slot, after one `GET /healthz` on it, ready to carry a
 * websocket upgrade request (hand it to `ws` through `createConnection`).
 */
export async function tcpSocketOnSlot(host: string, port: number, slot: number, maxAttempts: number): Promise<Socket> {
  let lastSlot: number | null = null;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const socket = connect({ host, port, localAddress: nextSourceAddress() });
    try {
      lastSlot = await probeSlot(socket);
      if (lastSlot === slot) return socket;
    } catch {
      /* try another connection */
    }
    socket.destroy();
  }
  throw new Error(`no TCP connection reached worker slot ${slot} in ${maxAttempts} attempts (last: ${lastSlot})`);
}

function probeSlot(socket: Socket): Promise<number | null> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error("healthz probe timed out")), 5_000);
    const finish = (err: Error | null, slot?: number | null) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onError);
      if (err) reject(err);
      else resolve(slot ?? null);
    };
    const onError = (err: Error) => finish(err);
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const headerEnd = data.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const head = data.toString("latin1", 0, headerEnd);
      const length = /content-length:\s*(\d+)/i.exec(head);
      if (!length) return finish(new Error("healthz answer without content-length"));
      const bodyEnd = headerEnd + 4 + Number(length[1]);
      if (data.length < bodyEnd) return;
      if (data.length > bodyEnd) return finish(new Error("unexpected bytes after the healthz answer"));
      try {
        const body = JSON.parse(data.toString("utf8", headerEnd + 4, bodyEnd)) as { slot?: unknown };
        finish(null, typeof body.slot === "number" ? body.slot : null);
      } catch (err) {
        finish(err as Error);
      }
    };
    socket.on("data", onData);
    socket.on("error", onError);
    socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
  });
}
