import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";
import { API_KEY } from "./cluster.js";

export type ClientOptions = Partial<ManagerOptions & SocketOptions>;

/** Connects a stock socket.io-client and resolves once it is connected. */
export function connect(url: string, options: ClientOptions = {}, timeoutMs = 15_000): Promise<Socket> {
  const socket = io(url, { forceNew: true, reconnection: false, timeout: timeoutMs, ...options });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`client did not connect within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("connect_error", (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
  });
}

export function connectMany(url: string, count: number, options: ClientOptions = {}): Promise<Socket[]> {
  return Promise.all(Array.from({ length: count }, () => connect(url, options)));
}

/** Emits with an acknowledgement and a bound on the wait. */
export function request<T = any>(socket: Socket, event: string, ...args: unknown[]): Promise<T> {
  return socket.timeout(15_000).emitWithAck(event, ...args) as Promise<T>;
}

export function closeAll(sockets: Socket[]): void {
  for (const s of sockets) s.close();
}

export async function api(url: string, path: string, init: RequestInit & { key?: string | null } = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const headers = new Headers(init.headers);
  const key = init.key === undefined ? API_KEY : init.key;
  if (key !== null) headers.set("authorization", `Bearer ${key}`);
  const response = await fetch(`${url}${path}`, { ...init, headers, signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, body, headers: response.headers };
}

/** Every payload of `event` this socket receives from now on, in order. */
export function record<T = any>(socket: Socket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (value: T) => seen.push(value));
  return seen;
}
