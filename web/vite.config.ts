import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` proxies the API of a `keyturn serve` on :8000, so the app stays same-origin.
const api = "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: {
    proxy: { "/graphql": api, "/auth": api, "/invite": api, "/healthz": api },
  },
});
