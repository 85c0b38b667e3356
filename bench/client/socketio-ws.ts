// A lean Socket.IO v5 client over Engine.IO v4 websockets, speaking the wire protocol
// directly on top of `ws`. socket.io-client would spend more CPU per message than the
// servers we measure, and on a 2-core machine that would make the client the bottleneck.
//
// Frames we handle (Engine.IO packet type first, then Socket.IO's):
//   0{…}            open: answer `40` (Socket.IO connect to the main namespace)
//   40{"sid":…}     connected
//   44{…}           connect error
//   2 / 3           ping from the server / our pong
//   42[…]           event (we only care about "message")
//   43<id>[…]       acknowledgement of our event <id>
import WebSocket from "ws";

export type AckCallback = (frame: string) => void;

const ZERO = 0x30;
const TWO = 0x32;
const THREE = 0x33;
const FOUR = 0x34;

export interface ConnectOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:3000 */
  url: string;
  localAddress?: string;
  timeoutMs: number;
  path?: string;
}

export class SocketIoWsClient {
  /** Called with the raw frame of every `message` event the server pushes. */
  onMessage: (frame: Buffer) => void = () => {};
  onClose: () => void = () => {};
  private nextAckId = 0;
  private readonly pending = new Map<number, AckCallback>();
  private connected = false;

  private constructor(readonly ws: WebSocket) {
    // A socket error after the handshake ends in "close"; without a listener it would throw.
    ws.on("error", () => {});
    ws.on("close", () => {
      this.connected = false;
      this.pending.clear();
      this.onClose();
    });
  }

  get isOpen(): boolean {
    return this.connected && this.ws.readyState === WebSocket.OPEN;
  }

  /** Opens a websocket-first session and resolves once Socket.IO says connected. */
  static connect(options: ConnectOptions): Promise<SocketIoWsClient> {
    const target = new URL(options.path ?? "/socket.io/", options.url);
    target.protocol = target.protocol === "https:" ? "wss:" : "ws:";
    target.search = "EIO=4&transport=websocket";
    const ws = new WebSocket(target, {
      localAddress: options.localAddress,
      perMessageDeflate: false,
      skipUTF8Validation: true,
      handshakeTimeout: options.timeoutMs,
    });
    const client = new SocketIoWsClient(ws);
    return client.handshake(options.timeoutMs, true);
  }

  /**
   * Wraps a websocket that already carries a Socket.IO session (upgraded from polling):
   * the handshake happened over HTTP, so frames are events, acks and pings from the start.
   */
  static adopt(ws: WebSocket): SocketIoWsClient {
    const client = new SocketIoWsClient(ws);
    client.connected = true;
    ws.on("message", (data: Buffer) => client.onFrame(data));
    return client;
  }

  private handshake(timeoutMs: number, sendConnect: boolean): Promise<SocketIoWsClient> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`no Socket.IO connect within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        this.ws.removeListener("message", onHandshake);
        this.ws.terminate();
        reject(err);
      };
      const onHandshake = (data: Buffer) => {
        const type = data[0];
        if (type === ZERO && sendConnect) {
          this.ws.send("40");
        } else if (type === FOUR && data[1] === ZERO) {
          clearTimeout(timer);
          this.connected = true;
          this.ws.removeListener("message", onHandshake);
          this.ws.on("message", (frame: Buffer) => this.onFrame(frame));
          resolve(this);
        } else if (type === FOUR && data[1] === FOUR) {
          fail(new Error(`connect refused: ${data.toString()}`));
        } else if (type === TWO) {
          this.ws.send("3");
        }
      };
      this.ws.on("message", onHandshake);
      this.ws.once("error", (err) => fail(err));
      this.ws.once("unexpected-response", (_req, res) => fail(new Error(`HTTP ${res.statusCode} instead of a websocket`)));
      this.ws.once("close", () => fail(new Error("closed during the handshake")));
    });
  }

  private onFrame(data: Buffer): void {
    const type = data[0];
    if (type === FOUR) {
      const sub = data[1];
      if (sub === TWO) this.onMessage(data);
      else if (sub === THREE) this.onAck(data);
    } else if (type === TWO) {
      this.ws.send("3");
    }
  }

  private onAck(data: Buffer): void {
    let id = 0;
    let i = 2;
    for (; i < data.length; i++) {
      const c = data[i]!;
      if (c < ZERO || c > ZERO + 9) break;
      id = id * 10 + (c - ZERO);
    }
    const callback = this.pending.get(id);
    if (!callback) return;
    this.pending.delete(id);
    callback(data.toString("utf8", i));
  }

  /** Emits `event` with one argument and calls `ack` with the raw JSON array of the answer. */
  emitWithAck(event: string, arg: unknown, ack: AckCallback): void {
    const id = this.nextAckId++;
    this.pending.set(id, ack);
    this.ws.send(`42${id}${JSON.stringify([event, arg])}`);
  }

  /** emitWithAck as a promise, for the few calls that are not on a hot path. */
  request(event: string, arg: unknown, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack for ${event} within ${timeoutMs} ms`)), timeoutMs);
      this.emitWithAck(event, arg, (frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  close(): void {
    this.connected = false;
    this.ws.terminate();
  }
}

/** True when an ack frame (`[{…}]`) reports success. */
export function ackOk(frame: string): boolean {
  return frame.startsWith('[{"ok":true');
}

/** Reads the send time (`"t":<ms>`) we embed in published data, without parsing JSON. */
export function sentAt(frame: Buffer): number {
  const at = frame.indexOf('"t":');
  if (at < 0) return NaN;
  let end = at + 4;
  while (end < frame.length) {
    const c = frame[end]!;
    if (c === 0x2c || c === 0x7d) break; // , or }
    end++;
  }
  return Number(frame.toString("latin1", at + 4, end));
}
