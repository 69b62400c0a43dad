// Bindings the test configuration adds beside the Worker's own (vitest.config.ts → miniflare.bindings).
declare namespace Cloudflare {
  interface Env {
    SIMULATOR_URL: string;
  }
}
