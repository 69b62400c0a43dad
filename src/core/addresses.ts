/**
 * @module core/addresses
 * iMessage addresses as one canonical spelling: phone numbers in E.164 (`libphonenumber-js`, min
 * metadata), emails exactly as written, and chat GUIDs as the v2 API's `any;-;` / `any;+;` —
 * so `iMessage;-;+1555…`, `SMS;-;+1555…` and `any;-;+1555…` are one conversation.
 */
import {
  isSupportedCountry,
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
  type CountryCode as KnownCountry,
} from "libphonenumber-js/min";
import { ValidationError } from "./errors.ts";

/**
 * An ISO 3166-1 alpha-2 code checked by {@link parseDefaultCountry} (a plain string in the public
 * types, so declarations do not name libphonenumber-js).
 */
export type CountryCode = string;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** What a written phone number may contain: digits, one leading `+`, and separators people type. */
const PHONE_TEXT = /^\+?[\d\s().\-/]+$/;
/** A DM handle that is already international (`+` then digits and separators): E.164 without a guess. */
const INTERNATIONAL = /^\+[\d\s().-]+$/;
const GUID = /^([^;\s]+);([-+]);(.+)$/;

/**
 * Checks a default country (`defaultCountry` / `IMESSAGE_DEFAULT_COUNTRY`): an ISO 3166-1 alpha-2 code.
 *
 * @example
 * ```ts
 * parseDefaultCountry("us"); // "US"
 * parseDefaultCountry("USA"); // throws ValidationError
 * ```
 */
export function parseDefaultCountry(value: string | undefined): CountryCode | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const code = value.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(code) || !isSupportedCountry(code)) {
    throw new ValidationError(
      `IMESSAGE_DEFAULT_COUNTRY (defaultCountry) must be an ISO 3166-1 alpha-2 country code with a phone numbering plan, such as "US", "GB" or "DE"; got "${value}"`,
    );
  }
  return code;
}

function phoneProblem(text: string, country: CountryCode | undefined): string {
  const reason = validatePhoneNumberLength(text, country ? { defaultCountry: country as KnownCountry } : {});
  switch (reason) {
    case "INVALID_COUNTRY":
      return "its country calling code (the digits after +) is not one any country uses";
    case "TOO_SHORT":
      return "it is too short for a phone number of its country";
    case "TOO_LONG":
      return "it is too long for a phone number of its country";
    case "NOT_A_NUMBER":
      return "it is not a phone number";
    default:
      return "no phone number of its country has that many digits";
  }
}

/**
 * Normalises an address a user gives (`openDM`, a DM's recipient): an email is kept exactly (only
 * trimmed: the server matches chats by the address as written); a phone number becomes E.164. A national number (`9565179045`,
 * `(956) 517-9045`, `19565179045`) needs `defaultCountry`. Numbers are checked for a known country
 * code and a possible length (not against carrier ranges, so fictional `+1555…` numbers pass).
 * Throws a {@link ValidationError} that says what is wrong.
 *
 * @example
 * ```ts
 * normalizeAddress("(956) 517-9045", "US"); // "+19565179045"
 * normalizeAddress(" friend@example.com "); // "friend@example.com"
 * normalizeAddress("9565179045"); // throws: add +<country code> or set IMESSAGE_DEFAULT_COUNTRY
 * ```
 */
export function normalizeAddress(input: string, defaultCountry?: CountryCode): string {
  const text = String(input ?? "").trim().replace(/^(mailto|tel|sms|imessage):/i, "");
  if (text.includes("@")) {
    if (!EMAIL.test(text)) throw new ValidationError(`"${input}" is not an email address (expected name@example.com)`);
    return text;
  }
  if (!PHONE_TEXT.test(text) || !/\d/.test(text)) {
    throw new ValidationError(`"${input}" is neither a phone number (E.164, e.g. +15551234567) nor an email address`);
  }
  if (!text.startsWith("+") && !defaultCountry) {
    throw new ValidationError(
      `"${input}" has no country code: write it as +<country code><number> (e.g. +1 for the US: +19565179045), or set IMESSAGE_DEFAULT_COUNTRY (option defaultCountry, e.g. "US") to read national numbers`,
    );
  }
  const phone = parsePhoneNumberFromString(text, defaultCountry ? { defaultCountry: defaultCountry as KnownCountry } : {});
  if (!phone || !phone.isPossible()) {
    const where = text.startsWith("+") || !defaultCountry ? "" : ` (read as a ${defaultCountry} number)`;
    throw new ValidationError(`"${input}" is not a valid phone number${where}: ${phoneProblem(text, defaultCountry)}`);
  }
  return phone.number;
}

/** A DM handle in canonical spelling where that needs no guess: `+` numbers in E.164; anything else (emails) as it is. */
function canonicalHandle(handle: string): string {
  const trimmed = handle.trim();
  return INTERNATIONAL.test(trimmed) ? `+${trimmed.replace(/\D/g, "")}` : trimmed;
}

/**
 * The one spelling of a chat GUID: the service prefix (`iMessage`, `SMS`, `RCS`, `any`) becomes `any`
 * (the only one the v2 API takes), and a DM's handle is canonical (see {@link canonicalHandle}).
 * Anything that is not a GUID is returned unchanged (and refused where a GUID is required).
 *
 * @example
 * ```ts
 * canonicalChatGuid("SMS;-;+1 (555) 123-4567"); // "any;-;+15551234567"
 * canonicalChatGuid("iMessage;+;chat123"); // "any;+;chat123"
 * ```
 */
export function canonicalChatGuid(chatGuid: string): string {
  const match = GUID.exec(chatGuid.trim());
  if (!match) return chatGuid;
  const [, , kind, rest] = match as unknown as [string, string, string, string];
  return kind === "-" ? `any;-;${canonicalHandle(rest)}` : `any;+;${rest}`;
}

interface WithChat {
  envelope: { message: { space: { id: string } }; space?: { id: string } | undefined };
}

/**
 * A delivery whose envelope names its chat by the canonical GUID (a copy; the same object when it
 * already does), so the ledger's shard, per-conversation order and idempotency keys hold across spellings.
 */
export function withCanonicalChat<T extends WithChat>(delivery: T): T {
  const { envelope } = delivery;
  const id = canonicalChatGuid(envelope.message.space.id);
  if (id === envelope.message.space.id && (!envelope.space || envelope.space.id === id)) return delivery;
  const message = { ...envelope.message, space: { ...envelope.message.space, id } };
  return { ...delivery, envelope: { ...envelope, message, ...(envelope.space ? { space: { ...envelope.space, id } } : {}) } };
}
