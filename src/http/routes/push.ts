// The push API for backends (all under /api, behind the bearer key):
//   POST /api/publish              { room | user | broadcast: true, type, data?, id?, namespace?, ack?, timeoutMs? }
//   POST /api/publish/batch        { messages: [ ...up to MAX_BATCH publishes, without ack ] }
//   GET  /api/rooms/:room/presence ?namespace=/chat
//   POST /api/rooms/:room/kick     { sub, namespace? }
import { Hono, type Context } from "hono";
import { z } from "zod";
import { errorBody } from "../../errors.js";
import type { Logger } from "../../log.js";
import { messageId, messageType, roomName, subject, UnavailableError, UnknownNamespaceError, type PushMessage, type RealtimeApi } from "../../realtime/index.js";
import type { BridgeEnv } from "../uws-fetch-bridge.js";
import { describeFields, invalidRequest, readJsonBody } from "../json-body.js";

export const MAX_BATCH = 100;
export const MAX_ACK_TIMEOUT_MS = 60_000;

const namespaceName = z
  .string({ error: "must be a string like /chat" })
  .regex(/^\/[A-Za-z0-9._~/-]*$/, "must start with / and use letters, digits, - _ . ~ / only")
  .default("/");

const publishFields = {
  room: roomName.optional(),
  user: subject.optional(),
  broadcast: z.literal(true, { error: "must be true when given" }).optional(),
  type: messageType,
  data: z.unknown().optional(),
  id: messageId.optional(),
  namespace: namespaceName,
};

function oneTarget(value: { room?: string | undefined; user?: string | undefined; broadcast?: true | undefined }, ctx: z.RefinementCtx): void {
  const given = [value.room !== undefined, value.user !== undefined, value.broadcast !== undefined].filter(Boolean).length;
  if (given !== 1) ctx.addIssue({ code: "custom", path: ["room"], message: "give exactly one target: room, user or broadcast: true" });
}

const publishBody = z
  .object({
    ...publishFields,
    ack: z.boolean({ error: "must be a boolean" }).optional(),
    timeoutMs: z.number({ error: "must be a number" }).int("must be a whole number").min(1, "must be at least 1").max(MAX_ACK_TIMEOUT_MS, `must be at most ${MAX_ACK_TIMEOUT_MS}`).optional(),
  })
  .superRefine((value, ctx) => {
    oneTarget(value, ctx);
    if (value.ack && value.user === undefined) ctx.addIssue({ code: "custom", path: ["ack"], message: "acknowledgements are available for a user target only" });
  });

const batchItem = z.object(publishFields).strict().superRefine(oneTarget);
const batchBody = z.object({
  messages: z.array(batchItem, { error: "must be an array of publishes" }).min(1, "must hold at least one message").max(MAX_BATCH, `must hold at most ${MAX_BATCH} messages`),
});

const kickBody = z.object({ sub: subject, namespace: namespaceName });

type PublishFields = z.infer<typeof batchItem>;

function toPushMessage(fields: PublishFields): PushMessage {
  const target = fields.room !== undefined ? { room: fields.room } : fields.user !== undefined ? { user: fields.user } : { broadcast: true as const };
  return { target, type: fields.type, data: fields.data, id: fields.id, namespace: fields.namespace };
}

export interface PushRouteDeps {
  realtime(): RealtimeApi;
  log: Logger;
}

export function pushRoutes(deps: PushRouteDeps): Hono<{ Bindings: BridgeEnv }> {
  const routes = new Hono<{ Bindings: BridgeEnv }>();
  const unserved = (c: Context, namespace: string, field = "namespace") =>
    c.json(invalidRequest(`${field}: ${namespace} is not served by this server (see NAMESPACES)`), 400);

  routes.post("/publish", async (c) => {
    const body = await readJsonBody(c, publishBody);
    if (!body.ok) return c.json(body.error, 400);
    const realtime = deps.realtime();
    if (!realtime.serves(body.value.namespace)) return unserved(c, body.value.namespace);
    const message = toPushMessage(body.value);
    if (body.value.ack && "user" in message.target) {
      const result = await realtime.publishWithAck({ ...message, target: message.target }, body.value.timeoutMs ?? 5_000);
      const { id, timestamp, sockets, acked } = result;
      return c.json({ ok: true, id, timestamp, sockets, acked, ...(result.duplicate ? { duplicate: true } : {}) }, 200);
    }
    const result = await realtime.publish(message);
    return c.json({ ok: true, id: result.id, timestamp: result.timestamp, ...(result.duplicate ? { duplicate: true } : {}) }, 202);
  });

  routes.post("/publish/batch", async (c) => {
    const body = await readJsonBody(c, batchBody);
    if (!body.ok) return c.json(body.error, 400);
    const realtime = deps.realtime();
    const unknown = body.value.messages.findIndex((m) => !realtime.serves(m.namespace));
    if (unknown !== -1) return unserved(c, body.value.messages[unknown]!.namespace, `messages.${unknown}.namespace`);
    // In order, one after another: a batch keeps the order its messages were given in.
    const results = [];
    for (const item of body.value.messages) {
      const result = await realtime.publish(toPushMessage(item));
      results.push({ ok: true, id: result.id, timestamp: result.timestamp, ...(result.duplicate ? { duplicate: true } : {}) });
    }
    return c.json({ ok: true, results }, 202);
  });

  routes.get("/rooms/:room/presence", async (c) => {
    const room = roomName.safeParse(c.req.param("room"));
    if (!room.success) return c.json(invalidRequest(`room: ${describeFields(room.error)}`), 400);
    const namespace = namespaceName.safeParse(c.req.query("namespace"));
    if (!namespace.success) return c.json(invalidRequest(`namespace: ${describeFields(namespace.error)}`), 400);
    const realtime = deps.realtime();
    if (!realtime.serves(namespace.data)) return unserved(c, namespace.data);
    return c.json({ ok: true, room: room.data, namespace: namespace.data, members: await realtime.presence(namespace.data, room.data) });
  });

  routes.post("/rooms/:room/kick", async (c) => {
    const room = roomName.safeParse(c.req.param("room"));
    if (!room.success) return c.json(invalidRequest(`room: ${describeFields(room.error)}`), 400);
    const body = await readJsonBody(c, kickBody);
    if (!body.ok) return c.json(body.error, 400);
    const realtime = deps.realtime();
    if (!realtime.serves(body.value.namespace)) return unserved(c, body.value.namespace);
    const sockets = await realtime.kick(body.value.namespace, room.data, body.value.sub);
    return c.json({ ok: true, room: room.data, sub: body.value.sub, sockets });
  });

  routes.onError((err, c) => {
    if (err instanceof UnknownNamespaceError) return unserved(c, err.namespace);
    if (err instanceof UnavailableError) return c.json(errorBody(err.code, err.message), 503);
    // The adapter's cluster-wide reads time out when a worker does not answer in time.
    if (/timeout reached|timed out/i.test(err.message)) {
      deps.log.warn("a cluster-wide read timed out", { path: c.req.path, error: err });
      return c.json(errorBody("unavailable", "a worker did not answer in time; retry"), 503);
    }
    deps.log.error("unhandled error in a push route", { method: c.req.method, path: c.req.path, error: err });
    return c.json(errorBody("internal_error", "the server failed to handle this request"), 500);
  });

  return routes;
}
