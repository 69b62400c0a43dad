import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
it("has bindings", () => {
  expect((env as unknown as Record<string, string>).IMESSAGE_WEBHOOK_SECRET).toBe("whsec_test");
});
