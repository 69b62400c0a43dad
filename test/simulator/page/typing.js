// The bot's typing indicator on the chat page. The demo bot replies 20-40 ms after its typing call,
// which would only flash the dots: they stay up at least TYPING_MIN_MS from that call. The reply is
// never held back: it shows at once, and the dots go when their time is up.

export const TYPING_MIN_MS = 900;

/** The bot started typing in `current` (a conversation of the page); `at`: the event's time (ms). */
export function startTyping(current, at) {
  clearTimeout(current.typingTimer);
  current.typing = true;
  // An event replayed after a reload is older than the window: its dots do not show again.
  current.typingSince = Math.min(Date.now(), at ?? Date.now());
}

/** Ends the indicator now, or calls `rendered` once it has been up TYPING_MIN_MS. */
export function stopTyping(current, rendered) {
  if (!current.typing) return;
  clearTimeout(current.typingTimer);
  const left = TYPING_MIN_MS - (Date.now() - current.typingSince);
  if (left <= 0) {
    current.typing = false;
    return;
  }
  current.typingTimer = setTimeout(() => {
    current.typing = false;
    rendered();
  }, left);
}
