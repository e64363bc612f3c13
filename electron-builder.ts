/**
 * Packaging the desktop app for Linux with electron-builder: `npm run dist` builds with
 * electron-vite, then makes a .deb (first) and an AppImage in dist/. electron-builder downloads
 * the Electron binary for the target, so it needs access to GitHub's release downloads.
 *
 * Checked by test/unit/packaging.test.ts (against electron-builder's own schema, too).
 */
import type { Configuration } from 'electron-builder';

const config: Configuration = {
  appId: 'org.ringside.Ringside',
  productName: 'Ringside',
  copyright: 'Copyright © Ringside contributors (MIT licence)',
  directories: { buildResources: 'build', output: 'dist' },
  // The built app only: electron-vite's output (main, peer entry, preload, renderer).
  files: ['out/**', 'package.json'],
  asar: true,
  // Peers are spawned from out/main/peer.js (dependencies bundled in), run from a plain folder
  // rather than from inside the archive: see builtPeerEntry in src/main/electron/cluster.ts.
  asarUnpack: ['out/main/**'],
  // No native modules: nothing to rebuild for Electron's ABI.
  npmRebuild: false,
  electronFuses: {
    // MUST stay enabled: every peer is a child process of Electron's own binary run as Node
    // (process.execPath with ELECTRON_RUN_AS_NODE=1, src/main/cluster/spawn.ts). Turning this
    // fuse off would make the app unable to start a single peer.
    runAsNode: true,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    // grantFileProtocolExtraPrivileges keeps its default: the page is loaded from file://.
  },
  extraMetadata: {
    // The .deb needs a homepage; replace with the project's real address before publishing.
    homepage: 'https://example.org/ringside',
  },
  linux: {
    target: ['deb', 'AppImage'],
    icon: 'build/icon.png',
    category: 'Development',
    executableName: 'ringside',
    synopsis: 'A desktop lab for gossip, SWIM, quorum key-value rings and DHTs',
    description: 'Runs real peer processes of classic distributed protocols on this machine and shows what every peer believes, where every key lives, and every message, while you start, stop, kill, partition and slow them.',
    // The .deb needs a maintainer with an e-mail address; replace before publishing.
    maintainer: 'Ringside maintainers <ringside@example.org>',
  },
  deb: {
    packageCategory: 'devel',
  },
  appImage: {
    artifactName: '${productName}-${version}-${arch}.${ext}',
  },
};

export default config;
