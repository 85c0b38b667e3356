// Schemas of what clients (and backends, through the API) send. Every payload is parsed
// here before it is used.
import { z } from "zod";
import { ROLES } from "./identity.js";

export const MAX_ROOM_LENGTH = 128;
export const MAX_TYPE_LENGTH = 64;
export const MAX_ID_LENGTH = 128;
export const MAX_SUB_LENGTH = 256;

export const roomName = z
  .string({ error: "room must be a string" })
  .min(1, "room must not be empty")
  .max(MAX_ROOM_LENGTH, `room must be at most ${MAX_ROOM_LENGTH} characters`)
  // Control characters are reserved for the server's hidden rooms (see room-access.ts).
  .regex(/^[^\u0000-\u001f\u007f]*$/, "room must not contain control characters");

export const messageType = z
  .string({ error: "type is required and must be a string" })
  .min(1, "type must not be empty")
  .max(MAX_TYPE_LENGTH, `type must be at most ${MAX_TYPE_LENGTH} characters`);

/** A client-chosen publish id (a UUID or ULID, say): makes a publish idempotent. */
export const messageId = z
  .string({ error: "id must be a string" })
  .min(1, "id must not be empty")
  .max(MAX_ID_LENGTH, `id must be at most ${MAX_ID_LENGTH} characters`)
  .regex(/^[A-Za-z0-9._:~-]+$/, "id may only use letters, digits and . _ : ~ -");

export const subject = z
  .string({ error: "sub must be a string" })
  .min(1, "sub must not be empty")
  .max(MAX_SUB_LENGTH, `sub must be at most ${MAX_SUB_LENGTH} characters`);

export const publishInput = z.object({
  room: roomName,
  type: messageType,
  data: z.unknown().optional(),
  id: messageId.optional(),
});
export type PublishInput = z.infer<typeof publishInput>;

/**
 * `join` takes a room name, or `{ room, presence: true }` to also receive the room's presence
 * change events. Opt-in, because announcing every arrival to every member is quadratic in
 * the room's size: 10k sockets joining a room would mean 50M presence events.
 */
export const joinInput = z.union([
  roomName.transform((room) => ({ room, presence: false })),
  z.object({ room: roomName, presence: z.boolean({ error: "presence must be true or false" }).optional().default(false) }),
], { error: "join takes a room name or { room, presence }" });

export const kickInput = z.object({ room: roomName, sub: subject });

/** The claims realtime-edge reads from a client's token; other claims are ignored. */
export const tokenClaims = z.object({
  sub: subject.refine((s) => s !== "server", 'sub "server" is reserved for messages from the push API'),
  name: z.string({ error: "name must be a string" }).max(256, "name must be at most 256 characters").optional(),
  rooms: z
    .record(z.string().min(1).max(MAX_ROOM_LENGTH), z.enum(ROLES, { error: `each role in rooms must be one of ${ROLES.join(", ")}` }), {
      error: "rooms must be an object mapping room names or globs to roles",
    })
    .optional(),
});

/** The one sentence a client sees for a schema failure, naming the field when there is one. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.join(".");
      if (!path) return i.message;
      if (i.path.length === 1 && i.message.startsWith(String(i.path[0]))) return i.message;
      return `${path}: ${i.message}`;
    })
    .join("; ");
}
