// What the chat page suggests: it follows the Worker it drives (this repository's demo bot, or your
// own with `npm start -- --worker <dir>`) and whether that Worker kept its local state from an earlier
// run (wrangler dev keeps it in .wrangler/state, so the bot may already be subscribed to the group).

const KEPT = "It kept its state from an earlier run (npm start -- --fresh starts clean)";

/** The demo group's line in the conversation list. */
export function groupSubtitle(config) {
  return config.stateKept ? `mention @${config.botName}, or just talk if it joined before` : `mention @${config.botName} to start`;
}

/**
 * The hint above a conversation.
 * @param {{ botName: string, ownWorker?: string, stateKept?: boolean }} config the page's configuration
 * @param {{ isGroup: boolean, answered: boolean, emoji: (symbol: string) => string }} chat
 *   `answered`: the bot has answered in this conversation during this run.
 */
export function chatHint(config, { isGroup, answered, emoji }) {
  const bot = `@${config.botName}`;
  if (config.ownWorker) {
    if (!isGroup) return `Each message goes to your Worker (${config.ownWorker}) as a signed webhook; what its bot does shows here. "+" adds a photo; click a bot message to tap back.`;
    const kept = config.stateKept ? ` ${KEPT}: a group it subscribed to then is still subscribed.` : "";
    return `Mention ${bot} to reach your bot here (onNewMention); once it subscribes to the group, it gets every message (onSubscribedMessage).${kept}`;
  }
  if (!isGroup) {
    return `Try "hello", "thanks" (a ${emoji("❤️")} tapback) or "poll" (a native poll; click an option to vote). "+" adds a photo; click a bot message to tap back.`;
  }
  if (answered) return `The bot has joined this group: it answers every message, no mention needed.`;
  const kept = config.stateKept ? ` ${KEPT}: if it joined this group then, it already answers without a mention.` : "";
  return `Say "${bot} hi" to start: the bot subscribes to the group and then answers every message.${kept}`;
}
