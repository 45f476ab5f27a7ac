/// <reference types="vitest/config" />
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const isVitest = process.env.VITEST !== undefined;

// Tauri expects a fixed dev-server port and serves `dist/` in production.
export default defineConfig({
  plugins: [
    svelte({
      // Component CSS is always emitted as a real .css file (never injected at
      // runtime), so the app works under `style-src 'self'` without unsafe-inline.
      compilerOptions: { css: 'external' },
    }),
  ],
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
    watch: {
      // The Rust side lives next to the UI; don't watch it.
      ignored: ['**/src-tauri/**'],
    },
  },
  envPrefix: ['VITE_', 'TAURI_ENV_*'],
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    // Keep every asset as a file: no data: URIs to whitelist in the CSP.
    assetsInlineLimit: 0,
  },
  // Under Vitest, resolve Svelte's client (browser) build so components can mount.
  resolve: isVitest ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
  },
});
