// Peer 4: plain socket.io 4.8 on Node's http.Server in one process, the way most
// applications start. Env: HOST, PORT (0 = any).
import http from "node:http";
import { Server } from "socket.io";
import { HOST, PORT, announceReady, readyzHandler, registerProtocol } from "./protocol.mjs";

const httpServer = http.createServer((req, res) => {
  if (!readyzHandler(req, res)) {
    res.writeHead(404);
    res.end();
  }
});
const io = new Server(httpServer);
registerProtocol(io);
httpServer.listen(PORT, HOST, () => announceReady(1, "single", HOST, httpServer.address().port));
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
