/**
 * Import rules of the library (src/): folders are layers, every arrow points downhill, type imports
 * included. `npm run lint:deps` (part of `npm test`) fails on a cycle or an upward import.
 */
const LAYERS = ["core", "webhook", "transport", "ledger", "spaces", "gateway", "adapter", "state", "durable-objects", "worker"];

/** Forbids `from` layer importing any layer listed after it. */
const upward = LAYERS.map((layer, i) => ({
  name: `no-upward-from-${layer}`,
  severity: "error",
  comment: `src/${layer} may import only layers below it: ${LAYERS.slice(0, i).join(", ") || "(none)"}`,
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${LAYERS.slice(i + 1).join("|") || "$^"})/` },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "modules and folders must not depend on each other in a circle",
      from: { path: "^src/" },
      to: { circular: true },
    },
    ...upward,
    {
      name: "no-node-builtins-in-src",
      severity: "error",
      comment:
        "src/ runs on workerd with web-standard APIs (Node built-ins only in local-bridge/); the one exception is node:async_hooks (AsyncLocalStorage), which workerd provides under nodejs_compat — required by the Chat SDK itself",
      from: { path: "^src/" },
      to: { dependencyTypes: ["core"], pathNot: "async_hooks$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist|test|bench|demo|local-bridge|examples)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "types", "default"] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
