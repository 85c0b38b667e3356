// The Socket.IO server options the protocol depends on: compression and packet limits.
import type { ServerOptions } from "socket.io";

export interface TransportSettings {
  compression: boolean;
  compressionThreshold: number;
  maxMessageBytes: number;
}

// uWebSockets.js `SHARED_COMPRESSOR` / `DISABLED`. engine.io's uWS server passes the
// `compression` option straight to `app.ws()`, and then compresses only frames above
// `perMessageDeflate.threshold`; the Node engine reads `perMessageDeflate` alone.
const UWS_SHARED_COMPRESSOR = 1;
const UWS_DISABLED = 0;

export function socketServerOptions(settings: TransportSettings): Partial<ServerOptions> & { compression: number } {
  const threshold = settings.compressionThreshold;
  return {
    compression: settings.compression ? UWS_SHARED_COMPRESSOR : UWS_DISABLED,
    perMessageDeflate: settings.compression ? { threshold } : false,
    httpCompression: settings.compression ? { threshold } : false,
    // A packet over this is dropped by the transport and its connection closed (the
    // engine's rule). Keep it well above the `data` limit, which gets a polite error ack
    // instead, so an oversized publish costs the client an ack, not its connection.
    maxHttpBufferSize: Math.max(1_000_000, settings.maxMessageBytes * 2 + 64 * 1024),
    // Children of glob namespaces (/tenant-*) go away when their last socket does.
    cleanupEmptyChildNamespaces: true,
  };
}
