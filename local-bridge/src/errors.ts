/**
 * @module local-bridge/errors
 * Errors of local macOS mode, each saying what happened and what to do about it.
 */
import { ChatError } from "chat";

/** A local-mode failure the user can act on; `code` tells which. */
export class LocalModeError extends ChatError {
  constructor(message: string, code: LocalModeErrorCode, cause?: unknown) {
    super(`[imessage] ${message}`, code, cause);
    this.name = "LocalModeError";
  }
}

export type LocalModeErrorCode =
  | "FULL_DISK_ACCESS"
  | "NOT_MACOS"
  | "OSASCRIPT_FAILED"
  | "UNKNOWN_CONVERSATION";

/** The Messages database could not be opened: almost always missing Full Disk Access. */
export function fullDiskAccessError(path: string, cause: unknown): LocalModeError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new LocalModeError(
    `cannot open the Messages database at ${path} (${reason}). ` +
      "Grant Full Disk Access to your terminal/Node in System Settings → Privacy & Security → Full Disk Access, then restart it.",
    "FULL_DISK_ACCESS",
    cause,
  );
}

/** Local mode was asked to touch Messages on a system that has none. */
export function notMacOSError(action: string, platform: string = process.platform): LocalModeError {
  return new LocalModeError(
    `local mode needs macOS to ${action} (this is ${platform}). ` +
      "On other systems use cloud mode (IMESSAGE_PROJECT_ID + IMESSAGE_PROJECT_SECRET) or a self-hosted server (IMESSAGE_SERVER_URL + IMESSAGE_API_KEY).",
    "NOT_MACOS",
  );
}

/** osascript exited with an error; its stderr is the most useful thing to show. */
export function osascriptError(stderr: string, exitCode: number | string | null, cause?: unknown): LocalModeError {
  const detail = stderr.trim() || "no error text";
  return new LocalModeError(`osascript failed (exit ${exitCode ?? "unknown"}): ${detail}`, "OSASCRIPT_FAILED", cause);
}

/** A send to a group this Mac has never seen: AppleScript cannot create group chats. */
export function unknownConversationError(chatGuid: string): LocalModeError {
  return new LocalModeError(
    `no conversation "${chatGuid}" in the Messages database. Local mode starts new one-to-one chats ` +
      "(any;-;<address>) but cannot create group chats: add the bot's account to the group in Messages first.",
    "UNKNOWN_CONVERSATION",
  );
}
