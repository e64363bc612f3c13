/**
 * The packaging configuration (`npm run dist` cannot run here: electron-builder downloads the
 * Electron binary), checked instead: valid for electron-builder's own schema, Linux targets in
 * order, the icon, the files, the fuses, and the scripts that use it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import config from '../../electron-builder.ts';
import viteConfig from '../../electron.vite.config.ts';

const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as { main: string; scripts: Record<string, string> };

/** electron-builder's own configuration loader and validation (its copy of app-builder-lib). */
const builder = createRequire(createRequire(import.meta.url).resolve('electron-builder/package.json'))('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: null, configFromOptions: null): Promise<typeof config>;
  validateConfiguration(configuration: unknown, debug: { isEnabled: boolean; add(): void }): Promise<void>;
};
async function validate(configuration: unknown): Promise<void> {
  await builder.validateConfiguration(configuration, { isEnabled: false, add: () => undefined });
}

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(bytes.toString('ascii', 12, 16)).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('the packaging configuration', () => {
  it('is the configuration electron-builder finds in the project', async () => {
    const found = await builder.getConfig(process.cwd(), null, null);
    expect(found.linux?.target).toEqual(config.linux?.target);
    expect(found.electronFuses).toEqual(config.electronFuses);
  });

  it("is valid for electron-builder's schema", async () => {
    await expect(validate(config)).resolves.toBeUndefined();
    await expect(validate({ ...config, electronFuses: { runAsNodee: true } })).rejects.toThrow(/electronFuses/);
  });

  it('builds for Linux: a .deb first, an AppImage second', () => {
    expect(config.linux?.target).toEqual(['deb', 'AppImage']);
  });

  it('takes its resources from build/, with a square PNG icon of at least 256 px', () => {
    expect(config.directories?.buildResources).toBe('build');
    const icon = config.linux?.icon as string;
    expect(existsSync(icon)).toBe(true);
    const { width, height } = pngSize(icon);
    expect(width).toBeGreaterThanOrEqual(256);
    expect(height).toBe(width);
  });

  it("packs only the built app into an asar archive, with the app's entry inside it", () => {
    expect(config.files).toEqual(['out/**', 'package.json']);
    expect(packageJson.main.replace(/^\.\//, '')).toMatch(/^out\//);
    expect(config.asar).toBe(true);
    // The peers' entry is unpacked so they run from a plain folder (see builtPeerEntry).
    expect(config.asarUnpack).toEqual(['out/main/**']);
  });

  it('sets the fuses, keeping run-as-node on because every peer runs as Electron-as-Node', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: true,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('has the metadata a .deb requires: a maintainer with an e-mail address and a homepage', () => {
    expect(config.linux?.maintainer).toMatch(/<[^@>]+@[^>]+>$/);
    expect((config.extraMetadata as { homepage?: string } | undefined)?.homepage).toMatch(/^https:\/\//);
  });

  it('is behind npm run dist, and npm start opens the built app', () => {
    expect(packageJson.scripts['dist']).toBe('electron-vite build && electron-builder --linux deb AppImage');
    // npm start builds with electron-vite and opens Electron on the built app (package.json's
    // main), or the same window in a browser where Electron cannot run (scripts/start.ts).
    expect(packageJson.scripts['start']).toBe('node scripts/check-node.js && node scripts/start.ts');
    expect(packageJson.main).toBe('./out/main/index.js');
  });

  it('has the peer entry built beside the main script, with its dependencies bundled, as ES modules', () => {
    type Plugin = { name: string; generateBundle?: (this: { emitFile(file: unknown): void }) => void };
    const main = (viteConfig as { main: { build: { externalizeDeps: boolean; rollupOptions: { input: Record<string, string> } }; plugins: Plugin[] } }).main;
    expect(main.build.rollupOptions.input).toEqual({ index: resolve('src/main/index.ts'), peer: resolve('src/cli/peer-process.ts') });
    expect(main.build.externalizeDeps).toBe(false);
    // out/main is unpacked without the root package.json: it carries its own module type.
    const emitted: unknown[] = [];
    for (const plugin of main.plugins) plugin.generateBundle?.call({ emitFile: (file) => emitted.push(file) });
    expect(emitted).toEqual([{ type: 'asset', fileName: 'package.json', source: '{ "type": "module" }\n' }]);
  });
});
