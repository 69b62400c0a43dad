/**
 * @module gateway/relay-schema
 * The relay WebSocket's JSON messages as zod schemas: the one definition the Worker
 * (`parseRelayFrame`) and the local bridge (`chat-adapter-imessage/relay-protocol`) both validate with.
 * It imports only zod, so the bridge can bundle it without any Worker code.
 *
 * client → server: `{"type":"event","id","envelope"}`, `{"type":"send-result","requestId","ok","error"?}`
 * server → client: `{"type":"ack","id","duplicate"?}`, `{"type":"nack","id","error"}`,
 *                  `{"type":"send","requestId","chatGuid","text","files"?}`
 */
import { z } from "zod";

/** A file in a `send` request. */
export const RelayFileSchema = z.object({ filename: z.string(), mimeType: z.string(), dataBase64: z.string() });

const EVENT_ID = "event frames need a non-empty string id (unique per event, reused on retry)";

/** Messages the relay sends. The event's envelope is checked by the Worker like a webhook body. */
export const RelayClientMessageSchema = z.discriminatedUnion(
  "type",
  [
    z.object({ type: z.literal("event"), id: z.string({ error: EVENT_ID }).min(1, { error: EVENT_ID }), envelope: z.unknown().optional() }),
    z.object({ type: z.literal("send-result"), requestId: z.string(), ok: z.boolean(), error: z.string().optional() }),
  ],
  {
    error: (issue) =>
      issue.code === "invalid_union"
        ? `unknown frame type ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type) ?? "(none)"}: send {"type":"event","id","envelope"}`
        : issue.code === "invalid_type"
          ? "frame is not a JSON object"
          : undefined,
  },
);

/** Messages the gateway sends. */
export const RelayServerMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ack"), id: z.string(), duplicate: z.literal(true).optional() }),
  z.object({ type: z.literal("nack"), id: z.string(), error: z.string() }),
  z.object({
    type: z.literal("send"),
    requestId: z.string(),
    chatGuid: z.string().min(1, { error: "send request without a chatGuid" }),
    text: z.string(),
    files: z.array(RelayFileSchema).optional(),
  }),
]);

export type RelayFile = z.infer<typeof RelayFileSchema>;
export type RelayClientMessage = z.infer<typeof RelayClientMessageSchema>;
export type RelayServerMessage = z.infer<typeof RelayServerMessageSchema>;

/**
 * One line naming what is wrong with a message, for a `nack` or a log.
 *
 * @example
 * ```ts
 * const parsed = RelayServerMessageSchema.safeParse(json);
 * if (!parsed.success) logger.warn(`relay: ${relayIssues(parsed.error)}`);
 * ```
 */
export function relayIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length && issue.code !== "invalid_union" ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}
