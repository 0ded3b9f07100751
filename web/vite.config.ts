import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// Django serves the built files through WhiteNoise under /static/web/ (STATICFILES_DIRS), and
// answers every client-side path with dist/index.html.
export default defineConfig({
  base: "/static/web/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: { proxy: { "/api": "http://127.0.0.1:8000" } },
  test: { environment: "node", include: ["src/**/*.test.ts", "src/**/*.test.tsx"] },
});
