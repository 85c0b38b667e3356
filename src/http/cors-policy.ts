// One CORS allowlist for the HTTP API and for Socket.IO, so a browser origin is either
// allowed everywhere or nowhere.
export interface CorsPolicy {
  /** The value for Access-Control-Allow-Origin, or null when the origin is not allowed. */
  allow(origin: string | undefined): string | null;
  /** Credentials (cookies) are allowed only with an explicit list: browsers refuse them with `*`. */
  credentials: boolean;
}

export function corsPolicy(origins: readonly string[]): CorsPolicy {
  if (origins.length === 1 && origins[0] === "*") {
    return { allow: () => "*", credentials: false };
  }
  const allowed = new Set(origins);
  return {
    allow: (origin) => (origin !== undefined && allowed.has(origin) ? origin : null),
    credentials: true,
  };
}
