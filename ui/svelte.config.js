import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/vite-plugin-svelte').SvelteConfig} */
export default {
  // Enables TypeScript (and other preprocessors) inside .svelte files.
  preprocess: vitePreprocess(),
};
