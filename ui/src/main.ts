import { mount } from 'svelte';

import App from './App.svelte';
import './app.css';
import { initTheme } from './lib/theme.svelte';

const target = document.getElementById('app');
if (!target) {
  throw new Error('Missing #app mount point in index.html');
}

// Before the first paint, so a dark choice never flashes light.
initTheme();

const app = mount(App, { target });

export default app;
