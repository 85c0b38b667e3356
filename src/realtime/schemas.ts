// Schemas of what clients send. Every socket payload is parsed here before it is used.
import { z } from "zod";

export const MAX_ROOM_LENGTH = 128;
export const MAX_TYPE_LENGTH = 64;

export const roomName = z
  .string({ error: "room must be a string" })
  .min(1, "room must not be empty")
  .max(MAX_ROOM_LENGTH, `room must be at most ${MAX_ROOM_LENGTH} characters`);

export const publishInput = z.object({
  room: roomName,
  type: z
    .string({ error: "type is required and must be a string" })
    .min(1, "type must not be empty")
    .max(MAX_TYPE_LENGTH, `type must be at most ${MAX_TYPE_LENGTH} characters`),
  data: z.unknown().optional(),
});
export type PublishInput = z.infer<typeof publishInput>;

/** The one sentence a client sees for a schema failure. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => i.message).join("; ");
}
