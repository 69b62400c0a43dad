/**
 * @module The iMessage HTTP middleware's routes for the extras: chat backgrounds and mini-app cards,
 * with the bodies `createHttpClient` (`@photon-ai/advanced-imessage` 2.2) sends.
 *
 * - `POST /v1/chats:setBackground {chatGuid, data}` — `data` is the image, base64 (proto3 JSON bytes).
 * - `POST /v1/chats:removeBackground {chatGuid}`, `GET /v1/chats:hasBackground?chatGuid=` → `{backgroundPresent}`.
 * - `POST /v1/messages:sendCustomizedMiniApp {chatGuid, teamId, extensionBundleId, appName, url, layout, appStoreId?, live?, clientMessageId?}`
 *   → `{message, miniAppCardSession: {chatGuid, messageGuid, sessionId, targetMessageGuid}}`; the
 *   checks are the ones the client documents (10-character team id, no `:` in the bundle id, an
 *   http(s) URL, a layout with something visible, image and imageTitle together).
 */
import { Hono } from "hono";
import { invalidArgument } from "./errors.ts";
import type { IMessageDeps } from "./imessage.ts";
import type { World } from "./world.ts";
import { json, readBody as body, type Json } from "./request-fields.ts";

/** Background bytes per chat GUID, per world (a reset world has none). */
const backgrounds = new WeakMap<World, Map<string, Uint8Array>>();

function backgroundsOf(world: World): Map<string, Uint8Array> {
  let map = backgrounds.get(world);
  if (!map) backgrounds.set(world, (map = new Map()));
  return map;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

function base64Bytes(value: unknown, field: string): Uint8Array {
  if (typeof value !== "string" || value === "") throw invalidArgument(field, `${field} must be non-empty base64 bytes`);
  try {
    return Uint8Array.from(atob(value.replace(/-/g, "+").replace(/_/g, "/")), (char) => char.charCodeAt(0));
  } catch {
    throw invalidArgument(field, `${field} is not valid base64`);
  }
}

function checkMiniApp(request: Json): void {
  if (!/^[A-Z0-9]{10}$/.test(String(request.teamId ?? ""))) throw invalidArgument("teamId", "teamId must be a 10-character uppercase alphanumeric Apple Team ID");
  const bundle = text(request.extensionBundleId);
  if (!bundle || bundle.includes(":")) throw invalidArgument("extensionBundleId", "extensionBundleId must be set and must not contain ':'");
  if (!text(request.appName)) throw invalidArgument("appName", "appName must not be empty");
  let url: URL | undefined;
  try {
    url = new URL(String(request.url ?? ""));
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol)) throw invalidArgument("url", "url must be an absolute http or https URL");
  const layout = (request.layout ?? {}) as Json;
  const image = layout.image !== undefined ? base64Bytes(layout.image, "layout.image") : undefined;
  if (!(text(layout.caption) || text(layout.subcaption) || text(layout.trailingCaption) || text(layout.trailingSubcaption) || image)) {
    throw invalidArgument("layout", "layout must set caption, subcaption, trailingCaption, trailingSubcaption or image");
  }
  if (Boolean(image) !== Boolean(text(layout.imageTitle))) throw invalidArgument("layout.imageTitle", "layout.image and layout.imageTitle must be set together");
}

/** Routes for chat backgrounds and mini-app cards (mounted by `imessageRoutes`). */
export function imessageExtraRoutes(deps: IMessageDeps): Hono {
  const app = new Hono();

  app.post("/v1/chats:setBackground", async (c) => {
    const world = deps.world();
    const request = await body(c);
    const chat = world.chat(request.chatGuid);
    backgroundsOf(world).set(chat.guid, base64Bytes(request.data, "data"));
    return json({});
  });

  app.post("/v1/chats:removeBackground", async (c) => {
    const world = deps.world();
    const chat = world.chat((await body(c)).chatGuid);
    backgroundsOf(world).delete(chat.guid);
    return json({});
  });

  app.get("/v1/chats:hasBackground", (c) => {
    const world = deps.world();
    const chat = world.chat(c.req.query("chatGuid"));
    return json({ backgroundPresent: backgroundsOf(world).has(chat.guid) });
  });

  app.post("/v1/messages:sendCustomizedMiniApp", async (c) => {
    const world = deps.world();
    const request = await body(c);
    const chat = world.chat(request.chatGuid);
    checkMiniApp(request);
    const server = c.req.header("x-photon-server") ?? undefined;
    const message =
      world.byClientMessageId(chat.guid, request.clientMessageId) ??
      world.addMessage({
        chatGuid: chat.guid,
        isFromMe: true,
        balloonBundleId: `com.apple.messages.MSMessageExtensionBalloonPlugin:${String(request.teamId)}:${String(request.extensionBundleId)}`,
        clientMessageId: text(request.clientMessageId),
        server,
      });
    const wire = world.messageJson(message);
    deps.events.emit({ type: "message.sent", chatGuid: chat.guid, message: wire, server });
    return json({
      message: wire,
      miniAppCardSession: { chatGuid: chat.guid, messageGuid: message.guid, sessionId: message.guid.toLowerCase(), targetMessageGuid: message.guid },
    });
  });

  return app;
}
