// Signs client tokens for tests, the way a backend would.
import { SignJWT } from "jose";
import type { KeyObject } from "node:crypto";

export const JWT_SECRET = "test-jwt-secret-0123456789abcdefghijklmnop";

export interface Claims {
  sub?: string;
  name?: string;
  rooms?: Record<string, string>;
  [claim: string]: unknown;
}

export function signToken(claims: Claims, options: { key?: KeyObject | string; alg?: string; expiresIn?: string | number } = {}): Promise<string> {
  const alg = options.alg ?? "HS256";
  const key = typeof options.key === "object" ? options.key : new TextEncoder().encode(options.key ?? JWT_SECRET);
  const jwt = new SignJWT(claims).setProtectedHeader({ alg }).setIssuedAt();
  if (options.expiresIn !== undefined) jwt.setExpirationTime(options.expiresIn);
  return jwt.sign(key);
}
