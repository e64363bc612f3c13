import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  main: {
    // Two entries: the Electron shell, and the peer process it spawns (out/main/peer.js) under
    // ELECTRON_RUN_AS_NODE. Dependencies are bundled, so out/main runs with no node_modules
    // beside it: a packaged peer is unpacked from app.asar and still finds everything.
    build: {
      externalizeDeps: false,
      rollupOptions: { input: { index: resolve('src/main/index.ts'), peer: resolve('src/cli/peer-process.ts') } },
    },
    plugins: [
      {
        // Packaged, out/main is unpacked from app.asar without the root package.json: say here
        // that its .js files are ES modules, rather than leave it to Node's syntax detection.
        name: 'ringside:out-main-is-esm',
        generateBundle() {
          this.emitFile({ type: 'asset', fileName: 'package.json', source: '{ "type": "module" }\n' });
        },
      },
    ],
  },
  preload: {
    // A sandboxed preload must be CommonJS: Electron cannot load an ES module there.
    build: {
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    build: { rollupOptions: { input: { index: resolve('src/renderer/index.html') } } },
    plugins: [vue()],
  },
});
