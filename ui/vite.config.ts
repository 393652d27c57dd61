import { defineConfig } from "vite";

// The page is served by Tauri from ui/dist: relative asset paths, no inline scripts or styles
// (the CSP allows only 'self'), and nothing fetched from the network at run time.
export default defineConfig({
  base: "./",
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2021",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
