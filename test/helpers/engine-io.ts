// A raw Engine.IO v4 client, for tests that must control which TCP connection carries which
// request (socket.io-client pools and reuses connections): every request here opens a new
// connection, so the kernel may hand it to any worker.
import { request } from "node:http";
import WebSocket from "ws";

export interface RawResponse {
  status: number;
  body: string;
}

export function rawHttp(port: number, method: "GET" | "POST", path: string, body?: string, signal?: AbortSignal): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, agent: false, headers: body ? { "content-type": "text/plain;charset=UTF-8" } : {}, signal, timeout: 30_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

/** Opens an Engine.IO polling session and its Socket.IO connection on the main namespace. */
export async function openPollingSession(port: number): Promise<string> {
  const open = await rawHttp(port, "GET", "/socket.io/?EIO=4&transport=polling");
  if (open.status !== 200 || !open.body.startsWith("0")) throw new Error(`handshake failed: ${open.status} ${open.body}`);
  const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid;
  const posted = await rawHttp(port, "POST", `/socket.io/?EIO=4&transport=polling&sid=${sid}`, "40");
  if (posted.status !== 200) throw new Error(`connect packet refused: ${posted.status} ${posted.body}`);
  const connected = await rawHttp(port, "GET", `/socket.io/?EIO=4&transport=polling&sid=${sid}`);
  if (!connected.body.startsWith("40")) throw new Error(`no Socket.IO connect ack: ${connected.body}`);
  return sid;
}

/** Upgrades a polling session to websocket (probe, then upgrade packet). */
export function upgradeSession(port: number, sid: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket&sid=${sid}`);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("upgrade timed out"));
    }, 15_000);
    ws.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.once("unexpected-response", (_req, res) => {
      clearTimeout(timer);
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body })));
    });
    ws.once("open", () => ws.send("2probe"));
    ws.on("message", function onMessage(data) {
      if (data.toString() !== "3probe") return;
      ws.off("message", onMessage);
      ws.send("5");
      clearTimeout(timer);
      resolve(ws);
    });
  });
}

export function waitForClose(ws: WebSocket, timeoutMs = 20_000): Promise<number> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve(-1);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("websocket did not close")), timeoutMs);
    ws.once("close", (code: number) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
