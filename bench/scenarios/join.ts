// Joins many clients to one room with a bounded number of joins in flight.
import { ackOk, type SocketIoWsClient } from "../client/socketio-ws.js";

export async function joinAll(clients: SocketIoWsClient[], room: string, timeoutMs: number, concurrency = 256): Promise<{ failed: number; firstError?: string }> {
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (next < clients.length) {
      const client = clients[next++]!;
      try {
        const frame = await client.request("join", room, timeoutMs);
        if (!ackOk(frame)) throw new Error(`join refused: ${frame.slice(0, 200)}`);
      } catch (err) {
        failed += 1;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, clients.length) }, worker));
  return firstError === undefined ? { failed } : { failed, firstError };
}
