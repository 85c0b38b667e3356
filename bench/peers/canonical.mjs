// Peer 3, the canonical Node setup: socket.io 4.8 on Node's http.Server, @socket.io/sticky
// in the primary (least-connection, sid-aware) and @socket.io/cluster-adapter for rooms,
// as the Socket.IO documentation describes it. Env: HOST, PORT (0 = any), WORKERS.
import cluster from "node:cluster";
import http from "node:http";
import { Server } from "socket.io";
import { setupMaster, setupWorker } from "@socket.io/sticky";
import { createAdapter, setupPrimary } from "@socket.io/cluster-adapter";
import { HOST, PORT, WORKERS, announceReady, readyzHandler, registerProtocol } from "./protocol.mjs";

if (cluster.isPrimary) {
  const httpServer = http.createServer();
  setupMaster(httpServer, { loadBalancingMethod: "least-connection" });
  setupPrimary();
  cluster.setupPrimary({ serialization: "advanced" });
  let ready = 0;
  let listening = false;
  const maybeReady = () => {
    if (listening && ready === WORKERS) announceReady(WORKERS, "canonical", HOST, httpServer.address().port);
  };
  for (let i = 0; i < WORKERS; i++) {
    cluster.fork().on("message", (message) => {
      if (message?.kind === "bench-worker-ready") {
        ready += 1;
        maybeReady();
      }
    });
  }
  cluster.on("exit", (worker, code) => {
    process.stderr.write(`worker ${worker.process.pid} exited with ${code}\n`);
    process.exit(1);
  });
  httpServer.listen(PORT, HOST, () => {
    listening = true;
    maybeReady();
  });
  const stop = () => {
    for (const worker of Object.values(cluster.workers)) worker?.kill();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
} else {
  const httpServer = http.createServer((req, res) => {
    if (!readyzHandler(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  const io = new Server(httpServer, { adapter: createAdapter() });
  setupWorker(io);
  registerProtocol(io);
  process.send({ kind: "bench-worker-ready" });
}
