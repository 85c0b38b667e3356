// Reads and validates a JSON request body. Every failure is a 400 `invalid_request` whose
// message names the field, so a backend developer can fix the call from the answer alone.
import type { Context } from "hono";
import type { z } from "zod";
import { errorBody, type ErrorBody } from "../errors.js";

export type BodyResult<T> = { ok: true; value: T } | { ok: false; error: ErrorBody };

export function invalidRequest(message: string): ErrorBody {
  return errorBody("invalid_request", message);
}

export function describeFields(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}

export async function readJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<BodyResult<z.infer<S>>> {
  const text = await c.req.text();
  let json: unknown;
  try {
    json = text.length === 0 ? undefined : JSON.parse(text);
  } catch (err) {
    return { ok: false, error: invalidRequest(`the body is not valid JSON (${(err as Error).message})`) };
  }
  if (json === undefined) return { ok: false, error: invalidRequest("the body is empty: send a JSON object") };
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, error: invalidRequest(describeFields(parsed.error)) };
  return { ok: true, value: parsed.data };
}
