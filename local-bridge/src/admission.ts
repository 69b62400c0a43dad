/**
 * @module local-bridge/admission
 * Decides, row by row, whether a new Messages row goes to the bot, and if not, why.
 */
import type { EchoGuard } from "./echo.ts";
import type { Journal } from "./journal.ts";
import type { LocalMessage } from "./message-row.ts";

/**
 * The outcome for one row: `deliver`, or the reason it is not delivered — no chat, already handled
 * (journal), the bot's own send coming back, the owner's message in another chat, the second copy of a
 * self-chat message, or older than the backlog fence.
 */
export type Verdict = "deliver" | "no-chat" | "handled" | "echo" | "own" | "copy" | "stale";

export interface AdmissionContext {
  journal?: Journal;
  echo: EchoGuard;
  /** Backlog rows dated more than this before `seenAt` are stale (Infinity: none). */
  maxMessageAgeMs: number;
  /** The backlog: rows up to this ROWID were already in the database when the bridge started or woke. */
  backlogUpTo: number;
  /** When the batch holding the row was read. */
  seenAt: Date;
}

/**
 * The verdict for a new row. Only backlog rows can be stale; rows without a date of their own
 * (`dateSource: "seen"`) never are.
 *
 * @example
 * ```ts
 * if (admit(row, { journal, echo, maxMessageAgeMs: 900_000, backlogUpTo, seenAt }) === "deliver") await onMessage(row);
 * ```
 */
export function admit(row: LocalMessage, context: AdmissionContext): Verdict {
  if (!row.chatGuid) return "no-chat";
  const status = context.journal?.status(row.guid);
  if (status === "done" || status === "skipped") return "handled";
  if (context.echo.isOwnSend(row)) return "echo";
  if (row.isFromMe && !row.isSelfChat) return "own";
  if (context.echo.isSelfChatCopy(row)) return "copy";
  const old = row.dateSource === "database" && context.seenAt.getTime() - row.date.getTime() > context.maxMessageAgeMs;
  if (old && row.rowid <= context.backlogUpTo) return "stale";
  return "deliver";
}
