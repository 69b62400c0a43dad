/**
 * @module adapter/outbound/mini-app
 * iMessage mini-app cards (an `MSMessageExtension` balloon) for `sendMiniApp`: a full card naming your
 * own iMessage extension, or just a URL shown in Spectrum's extension.
 */
import type { CustomizedMiniAppMessage, MiniAppLayout } from "@photon-ai/advanced-imessage/http";
import { ValidationError } from "../../core/errors.ts";
import { readMedia, type MediaBytes } from "./media-input.ts";

/** What the recipient sees in the bubble; at least one caption or the image must be set. */
export interface MiniAppCardLayout {
  /** Top-left, bold. */
  caption?: string;
  /** Below `caption`. */
  subcaption?: string;
  /** Top-right. */
  trailingCaption?: string;
  /** Below `trailingCaption`. */
  trailingSubcaption?: string;
  /** The card's image (JPEG); needs `imageTitle`. */
  image?: MediaBytes;
  /** Text over the image; needs `image`. */
  imageTitle?: string;
  /** Text under `imageTitle`; needs `image`. */
  imageSubtitle?: string;
  /** Fallback text where the card cannot be drawn. */
  summary?: string;
}

/** A card backed by your own iMessage extension (the reference adapter's `MiniAppCard`). */
export interface MiniAppCard {
  /** Display name of the iMessage extension's app. */
  appName: string;
  /** App Store id, for recipients without the extension installed. */
  appStoreId?: number;
  /** Bundle id of the `MSMessageExtension` that opens on tap (no `:`). */
  extensionBundleId: string;
  /** Apple Developer team id (10 uppercase letters or digits). */
  teamId: string;
  /** The http(s) URL handed to the extension on tap. */
  url: string | URL;
  layout?: MiniAppCardLayout;
  /** Render the installed extension's live UI when available (default false). */
  live?: boolean;
}

/** Just a URL, now or later: a string, a `URL`, a promise of one, or a function returning one. */
export type AppUrl = string | URL | Promise<string> | (() => string | Promise<string>);

/**
 * Spectrum's own iMessage extension: the identity spectrum-ts 12.8 (`@spectrum-ts/imessage`, `SPECTRUM_MINI_APP`)
 * gives a bare-URL `app(url)` card.
 */
export const SPECTRUM_MINI_APP = {
  appName: "Spectrum",
  extensionBundleId: "codes.photon.Spectrum.MessagesExtension",
  teamId: "P8XT6232SL",
  appStoreId: 6777616651,
} as const;

/** Whether the argument is the bare-URL form (a card is a plain object with named fields). */
export function isAppUrl(input: MiniAppCard | AppUrl): input is AppUrl {
  return typeof input === "string" || typeof input === "function" || input instanceof URL || input instanceof Promise;
}

function checkedUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new ValidationError(`sendMiniApp needs an absolute http(s) URL, got "${value}"`);
  }
  return url.href;
}

function required(value: string | undefined, field: string): string {
  if (!value?.trim()) throw new ValidationError(`sendMiniApp card needs ${field}`);
  return value.trim();
}

async function layoutOf(layout: MiniAppCardLayout): Promise<MiniAppLayout> {
  const { image, ...text } = layout;
  const visible = text.caption || text.subcaption || text.trailingCaption || text.trailingSubcaption || image;
  if (!visible) {
    throw new ValidationError("sendMiniApp card layout needs a caption, subcaption, trailingCaption, trailingSubcaption or an image: an empty card is rejected");
  }
  if (Boolean(image) !== Boolean(text.imageTitle)) throw new ValidationError("sendMiniApp card layout: image and imageTitle go together");
  if (text.imageSubtitle && !image) throw new ValidationError("sendMiniApp card layout: imageSubtitle needs an image");
  const bytes = image ? (await readMedia(image, { mimeType: "image/jpeg" }, "image", "sendMiniApp")).data : undefined;
  return { ...text, ...(bytes ? { image: bytes } : {}) };
}

/**
 * The API's mini-app message for a card or a bare URL. A bare URL uses Spectrum's extension with the
 * site's host as caption (spectrum-ts also reads the page's Open Graph tags; this adapter does not fetch the page).
 *
 * @throws ValidationError for a non-http(s) URL, a missing identifier, a malformed team id, or an empty layout.
 * @example
 * ```ts
 * await miniAppMessage("https://example.com/order/42"); // Spectrum's card, caption "example.com"
 * await miniAppMessage({ appName: "Orders", teamId: "ABCDE12345", extensionBundleId: "com.acme.orders.ext", url, layout: { caption: "Order #42" } });
 * ```
 */
export async function miniAppMessage(input: MiniAppCard | AppUrl): Promise<CustomizedMiniAppMessage> {
  if (isAppUrl(input)) {
    const resolved = typeof input === "function" ? await input() : await input;
    const url = checkedUrl(String(resolved));
    const host = new URL(url).host.replace(/^www\./, "");
    return { ...SPECTRUM_MINI_APP, url, layout: { caption: host, summary: host } };
  }
  const teamId = required(input.teamId, "teamId");
  if (!/^[A-Z0-9]{10}$/.test(teamId)) throw new ValidationError(`sendMiniApp teamId must be 10 uppercase letters or digits, got "${teamId}"`);
  const extensionBundleId = required(input.extensionBundleId, "extensionBundleId");
  if (extensionBundleId.includes(":")) throw new ValidationError("sendMiniApp extensionBundleId must not contain ':'");
  if (input.appStoreId !== undefined && !(Number.isInteger(input.appStoreId) && input.appStoreId > 0)) {
    throw new ValidationError("sendMiniApp appStoreId must be a positive integer");
  }
  const appName = required(input.appName, "appName");
  return {
    appName,
    teamId,
    extensionBundleId,
    url: checkedUrl(String(input.url)),
    layout: await layoutOf(input.layout ?? { caption: appName, summary: appName }),
    ...(input.appStoreId !== undefined ? { appStoreId: input.appStoreId } : {}),
    ...(input.live !== undefined ? { live: input.live } : {}),
  };
}
