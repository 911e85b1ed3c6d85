/// <reference types="vitest" />
import { defineConfig } from "vite";

// Served by the Warden server under /dashboard/. JSX is compiled by esbuild
// (no React plugin: fast refresh is not needed for a built bundle).
export default defineConfig({
  base: "/dashboard/",
  esbuild: { jsx: "automatic" },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: {
    proxy: { "/api": { target: "http://127.0.0.1:8080", ws: true } },
  },
  test: {
    environment: "jsdom",
    globals: true,
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
