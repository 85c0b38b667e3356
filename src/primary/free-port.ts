import { createServer } from "node:net";

/**
 * A port that is free on `host` right now. PORT=0 asks for one: the primary resolves it
 * once so that every worker binds the same port (SO_REUSEPORT shares it between them).
 */
export function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
