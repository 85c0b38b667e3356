// Handshake authentication. With JWT_SECRET (HS256) or JWT_PUBLIC_KEY (RS256 or ES256,
// chosen by the key's type) a client must connect with `auth: { token }`; every refusal is
// a `connect_error` whose `data.code` is "unauthorized" and whose message says why. Without
// a key the server is anonymous: each socket is its own user and may join any room.
import { createPublicKey, createSecretKey, type KeyObject } from "node:crypto";
import { errors as joseErrors, jwtVerify } from "jose";
import type { Socket } from "socket.io";
import type { Logger } from "../log.js";
import type { Identity } from "./identity.js";
import { describeIssues, tokenClaims } from "./schemas.js";

export interface AuthSettings {
  jwtSecret: string | undefined;
  jwtPublicKey: string | undefined;
}

export type AuthMiddleware = (socket: Socket, next: (err?: Error) => void) => void;

/** The error a refused handshake carries to the client's `connect_error`. */
export class HandshakeError extends Error {
  readonly data: { code: string };
  constructor(code: string, message: string) {
    super(message);
    this.data = { code };
  }
}

interface Verifier {
  key: KeyObject;
  algorithms: string[];
}

function verifierFor(settings: AuthSettings): Verifier | null {
  if (settings.jwtSecret !== undefined) return { key: createSecretKey(Buffer.from(settings.jwtSecret)), algorithms: ["HS256"] };
  if (settings.jwtPublicKey !== undefined) {
    const key = createPublicKey(settings.jwtPublicKey);
    return { key, algorithms: key.asymmetricKeyType === "rsa" ? ["RS256"] : ["ES256"] };
  }
  return null;
}

export function authenticator(settings: AuthSettings, log: Logger): AuthMiddleware {
  const verifier = verifierFor(settings);
  if (!verifier) {
    return (socket, next) => {
      const identity: Identity = { sub: socket.id, name: null, rooms: null, anonymous: true };
      socket.data.identity = identity;
      next();
    };
  }
  return (socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const refuse = (reason: string) => {
      log.info("refused a handshake", { code: "unauthorized", reason, address: socket.handshake.address });
      next(new HandshakeError("unauthorized", reason));
    };
    if (typeof token !== "string" || token.length === 0) return refuse("no token: connect with auth: { token: <JWT> }");
    if (token.length > 16_384) return refuse("token is too long");
    jwtVerify(token, verifier.key, { algorithms: verifier.algorithms }).then(
      ({ payload }) => {
        const claims = tokenClaims.safeParse(payload);
        if (!claims.success) return refuse(`token claims are invalid: ${describeIssues(claims.error)}`);
        const identity: Identity = {
          sub: claims.data.sub,
          name: claims.data.name ?? null,
          rooms: claims.data.rooms ?? null,
          anonymous: false,
        };
        socket.data.identity = identity;
        next();
      },
      (err: unknown) => refuse(whyRefused(err, verifier.algorithms)),
    );
  };
}

function whyRefused(err: unknown, algorithms: string[]): string {
  if (err instanceof joseErrors.JWTExpired) return "token expired";
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `token claim "${err.claim}" is not valid: ${err.reason}`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return "token signature is invalid";
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return `token algorithm is not accepted: this server accepts ${algorithms.join(", ")}`;
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return "token is malformed: not a signed JWT";
  return "token could not be verified";
}
