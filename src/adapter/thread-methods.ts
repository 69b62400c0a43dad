/**
 * @module adapter/thread-methods
 * The Chat SDK adapter members every iMessage adapter shares (Worker and local bridge alike):
 * its name, thread id codec, DM test and plain-text rendering.
 */
import type { FormattedContent } from "chat";
import { iMessageFormatConverter } from "./format.ts";
import { ADAPTER_NAME, decodeThreadId, encodeThreadId, isDmGuid, type iMessageThreadId } from "../core/thread-id.ts";

/** Base class of the iMessage adapters. */
export abstract class iMessageThreadMethods {
  readonly name = ADAPTER_NAME;
  protected readonly converter = new iMessageFormatConverter();

  encodeThreadId(platformData: iMessageThreadId): string {
    return encodeThreadId(platformData);
  }

  decodeThreadId(threadId: string): iMessageThreadId {
    return decodeThreadId(threadId);
  }

  /** An iMessage conversation is both the channel and the thread. */
  channelIdFromThreadId(threadId: string): string {
    return threadId;
  }

  isDM(threadId: string): boolean {
    return isDmGuid(decodeThreadId(threadId).chatGuid);
  }

  renderFormatted(content: FormattedContent): string {
    return this.converter.fromAst(content);
  }
}
