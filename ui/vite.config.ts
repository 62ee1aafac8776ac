import { defineConfig } from "vitest/config";

// The UI is served from the app itself (no dev server in production):
// relative asset paths, no inline scripts (the CSP forbids them).
export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    environment: "jsdom",
    globals: true,
    include: ["tests/**/*.test.{ts,tsx}"],
  },
});
