// Emoji on the chat page: tapback kinds on the wire, and whether this browser can draw emoji in colour
// (a bare Linux or CI browser cannot: the page then shows words).

/** Tapback kinds on the wire → emoji, and the words shown where no colour-emoji font exists. */
export const TAPBACKS = {
  MESSAGE_REACTION_KIND_LOVE: ["❤️", "Love"],
  MESSAGE_REACTION_KIND_LIKE: ["👍", "Like"],
  MESSAGE_REACTION_KIND_DISLIKE: ["👎", "Dislike"],
  MESSAGE_REACTION_KIND_LAUGH: ["😂", "Ha ha"],
  MESSAGE_REACTION_KIND_EMPHASIZE: ["‼️", "!!"],
  MESSAGE_REACTION_KIND_QUESTION: ["❓", "?"],
};
const EMOJI_WORDS = Object.fromEntries(Object.values(TAPBACKS));

/**
 * True when this browser draws emoji in colour. Without a colour-emoji font (a bare Linux, CI)
 * emoji render as empty boxes or nothing, so the page shows words instead. `?emoji=text` forces words.
 */
function drawsColourEmoji() {
  if (new URLSearchParams(location.search).get("emoji") === "text") return false;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 32;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  if (!context) return true;
  context.font = `24px ${getComputedStyle(document.documentElement).getPropertyValue("--emoji")}, sans-serif`;
  context.textBaseline = "top";
  context.fillText("👍", 0, 0);
  const pixels = context.getImageData(0, 0, 32, 32).data;
  for (let i = 0; i < pixels.length; i += 4) {
    const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
    if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) return true;
  }
  return false;
}
export const colourEmoji = drawsColourEmoji();
document.documentElement.dataset.emoji = colourEmoji ? "colour" : "text";

/** An emoji as this browser can show it: itself, or its word. */
export function emoji(symbol) {
  return colourEmoji ? symbol : (EMOJI_WORDS[symbol] ?? symbol);
}
