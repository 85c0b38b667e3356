// A lean Engine.IO v4 long-polling session (and its upgrade to websocket), as the stock
// client does it: handshake `GET`, Socket.IO connect `40` by `POST`, packets joined by the
// record separator \x1e. Requests go through undici Clients the caller picks, so a test can
// put them on the worker that owns the session or on another one.
import type { Socket } from "node:net";
import type { Client } from "undici";
import WebSocket from "ws";
import { SocketIoWsClient } from "./socketio-ws.js";

const SEPARATOR = "\x1e";

export class PollingSession {
  private constructor(
    readonly sid: string,
    private readonly path: string,
  ) {}

  /** Handshake on `client`; resolves once Socket.IO says connected. */
  static async open(client: Client, path = "/socket.io/"): Promise<PollingSession> {
    const res = await client.request({ path: `${path}?EIO=4&transport=polling`, method: "GET" });
    const text = await res.body.text();
    if (res.statusCode !== 200 || !text.startsWith("0")) throw new Error(`handshake answered ${res.statusCode}: ${text.slice(0, 120)}`);
    const { sid } = JSON.parse(text.split(SEPARATOR)[0]!.slice(1)) as { sid: string };
    const session = new PollingSession(sid, path);
    await session.post(client, ["40"]);
    const packets = await session.get(client);
    if (!packets.some((p) => p.startsWith("40"))) throw new Error(`no Socket.IO connect over polling: ${packets.join(" | ").slice(0, 120)}`);
    return session;
  }

  get query(): string {
    return `${this.path}?EIO=4&transport=polling&sid=${encodeURIComponent(this.sid)}`;
  }

  async post(client: Client, packets: string[]): Promise<void> {
    const res = await client.request({
      path: this.query,
      method: "POST",
      body: packets.join(SEPARATOR),
      headers: { "content-type": "text/plain;charset=UTF-8" },
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`POST answered ${res.statusCode}: ${text.slice(0, 120)}`);
  }

  /** One long-poll; answers Engine.IO pings on `client` itself. */
  async get(client: Client): Promise<string[]> {
    const res = await client.request({ path: this.query, method: "GET" });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`GET answered ${res.statusCode}: ${text.slice(0, 120)}`);
    return text.split(SEPARATOR);
  }

  /**
   * Upgrades to websocket (`2probe` → `3probe`, then `5`), over `socket` when given (a
   * connection already on a chosen worker), and returns the websocket client.
   */
  async upgrade(url: string, timeoutMs: number, socket?: Socket): Promise<SocketIoWsClient> {
    const target = new URL(this.path, url);
    target.protocol = "ws:";
    target.search = `EIO=4&transport=websocket&sid=${encodeURIComponent(this.sid)}`;
    const ws = new WebSocket(target, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      handshakeTimeout: timeoutMs,
      ...(socket ? { createConnection: () => socket } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`upgrade not done within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        ws.terminate();
        reject(err);
      };
      ws.once("open", () => ws.send("2probe"));
      ws.once("unexpected-response", (_req, res) => fail(new Error(`upgrade answered HTTP ${res.statusCode}`)));
      ws.once("error", fail);
      ws.once("close", () => fail(new Error("closed during the upgrade")));
      ws.once("message", (data: Buffer) => {
        if (data.toString() !== "3probe") return fail(new Error(`expected 3probe, got ${data.toString().slice(0, 60)}`));
        clearTimeout(timer);
        ws.removeAllListeners("error");
        ws.removeAllListeners("close");
        ws.removeAllListeners("unexpected-response");
        ws.send("5");
        resolve();
      });
    });
    return SocketIoWsClient.adopt(ws);
  }
}
