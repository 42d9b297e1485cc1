import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Paths resolve from this file, so the build works from any working directory.
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  build: { outDir: here('../dist/web'), emptyOutDir: true, assetsDir: 'assets', sourcemap: false },
});
