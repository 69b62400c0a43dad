/**
 * @module adapter/outbound/extras
 * The reference adapter's iMessage-only extras over the HTTP API, with its names and argument order:
 * `sendEffect`, `sendVoice`, `setBackground`, `sendMiniApp`.
 */
import type { Message as ServerMessage } from "@photon-ai/advanced-imessage/http";
import type { AdapterPostableMessage, RawMessage } from "chat";
import { resolveEffect, type iMessageEffectId, type iMessageEffectName } from "./effects.ts";
import { ValidationError } from "../../core/errors.ts";
import { readMedia, type MediaInput, type MediaOptions } from "./media-input.ts";
import { miniAppMessage, type AppUrl, type MiniAppCard } from "./mini-app.ts";
import { postToThread, type OutboundContext } from "./post.ts";

/** A voice note's audio: bytes, a Blob, a `FileUpload`, or an http(s) URL. */
export type VoiceInput = MediaInput;

/** Voice note metadata (the reference adapter's `VoiceOptions`; `duration` is accepted and not sent: iMessage measures the audio). */
export interface VoiceOptions extends MediaOptions {
  /** Playback length in seconds. */
  duration?: number;
}

/** A chat background: an image (bytes, Blob, `FileUpload`, http(s) URL), or `"clear"` / `null` to remove it. */
export type BackgroundInput = MediaInput | "clear" | null;

/**
 * Audio iMessage plays as a voice note. spectrum-ts transcodes anything else to M4A with ffmpeg, which
 * cannot run on Workers, so other formats are refused with what to do instead.
 */
const VOICE_TYPES = new Set(["audio/mp4", "audio/x-m4a", "audio/m4a", "audio/aac", "audio/x-caf"]);

/**
 * Sends a message with an expressive-send effect: bubble (`slam`, `loud`, `gentle`, `invisible`) or
 * screen (`confetti`, `fireworks`, `balloons`, `heart`, `lasers`, `celebration`, `sparkles`,
 * `spotlight`, `echo`). Needs non-empty text: the effect plays on the text bubble (files may come along).
 *
 * @throws ValidationError for an unknown effect or an empty text.
 * @example
 * ```ts
 * await sendEffect(context, threadId, "Happy birthday!", "confetti");
 * ```
 */
export async function sendEffect(
  context: OutboundContext,
  threadId: string,
  message: AdapterPostableMessage,
  effect: iMessageEffectName | iMessageEffectId | string,
): Promise<RawMessage<ServerMessage>> {
  const effectId = resolveEffect(effect);
  if (!context.render(message, "sendEffect").text.trim()) {
    throw new ValidationError("sendEffect needs non-empty text: the effect plays on the text bubble");
  }
  return await postToThread(context, threadId, message, { operation: "sendEffect", effect: effectId });
}

/**
 * Sends a voice note (a waveform bubble, `isAudioMessage`), not an audio file: uploads the audio, then
 * `POST /v1/messages:sendAttachment` with `isAudioMessage: true`.
 *
 * @throws ValidationError when the audio is not M4A/AAC or CAF (transcode first), or cannot be read.
 * @example
 * ```ts
 * await sendVoice(context, threadId, ttsBytes, { mimeType: "audio/mp4" });
 * ```
 */
export async function sendVoice(
  context: OutboundContext,
  threadId: string,
  input: VoiceInput,
  options: VoiceOptions = {},
): Promise<RawMessage<ServerMessage>> {
  const audio = await readMedia(input, options, "audio", "sendVoice");
  if (!VOICE_TYPES.has(audio.mimeType)) {
    throw new ValidationError(
      `sendVoice plays M4A (AAC) or CAF audio as a voice note, got ${audio.mimeType}: transcode it first (e.g. ffmpeg -i in.mp3 -c:a aac out.m4a), Workers cannot`,
    );
  }
  const target = await context.target(threadId, "sendVoice");
  const { client, chatGuid } = target;
  const uploaded = await client.attachments.upload({ data: audio.data, fileName: audio.name });
  const key = context.writeKey(chatGuid);
  const sent = await client.messages.sendAttachment(chatGuid, uploaded.attachment.guid, {
    isAudioMessage: true,
    ...(key ? { clientMessageId: key } : {}),
  });
  await context.afterPost(threadId, target);
  return { id: sent.guid, threadId, raw: sent };
}

/**
 * Sets the chat's background image (`POST /v1/chats:setBackground`), or removes it for `"clear"` or
 * `null` (`POST /v1/chats:removeBackground`). Resolves without a message: iMessage posts none.
 *
 * @throws ValidationError when the image cannot be read or is not `image/*`.
 * @example
 * ```ts
 * await setBackground(context, threadId, "https://example.com/sunset.jpg");
 * await setBackground(context, threadId, null);
 * ```
 */
export async function setBackground(
  context: OutboundContext,
  threadId: string,
  input: BackgroundInput,
  options: MediaOptions = {},
): Promise<void> {
  if (input === null || input === "clear") {
    const { client, chatGuid } = await context.target(threadId, "setBackground");
    await client.chats.removeBackground(chatGuid);
    return;
  }
  const image = await readMedia(input, options, "image", "setBackground");
  const { client, chatGuid } = await context.target(threadId, "setBackground");
  await client.chats.setBackground(chatGuid, image.data);
}

/**
 * Sends a mini-app card (`POST /v1/messages:sendCustomizedMiniApp`): a {@link MiniAppCard} for your
 * own iMessage extension, or a bare URL shown in Spectrum's. `raw.miniAppCardSession` of the result
 * identifies the card for later updates.
 *
 * @throws ValidationError for a malformed card or URL (see `adapter/outbound/mini-app`).
 * @example
 * ```ts
 * await sendMiniApp(context, threadId, "https://example.com/order/42");
 * ```
 */
export async function sendMiniApp(
  context: OutboundContext,
  threadId: string,
  input: MiniAppCard | AppUrl,
): Promise<RawMessage<ServerMessage>> {
  const card = await miniAppMessage(input);
  const target = await context.target(threadId, "sendMiniApp");
  const { client, chatGuid } = target;
  const key = context.writeKey(chatGuid);
  const sent = await client.messages.sendCustomizedMiniApp(chatGuid, card, key ? { clientMessageId: key } : undefined);
  await context.afterPost(threadId, target);
  return { id: sent.guid, threadId, raw: sent };
}
