/** The error shape every HTTP endpoint and socket ack uses. */
export interface ErrorBody {
  ok: false;
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { ok: false, error: { code, message } };
}
