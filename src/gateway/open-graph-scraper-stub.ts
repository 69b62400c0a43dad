/**
 * @module gateway/open-graph-scraper-stub
 * Stands in for `open-graph-scraper` on workerd (aliased in wrangler.toml and vitest.config.ts): its
 * cheerio/undici dependency cannot load there. spectrum-ts then sends rich links without a preview.
 */

/** Always answers "no metadata", which spectrum-ts treats as a link without a preview. */
export default async function openGraphScraper(_options: unknown): Promise<{ error: true; result: Record<string, never> }> {
  return { error: true, result: {} };
}
