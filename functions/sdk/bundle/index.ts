/**
 * The bundle format shared by the CLI (build), the router (registry) and the pool (loading):
 * a deterministic gzip'd tar of `manifest.yaml`, the bundled `index.mjs` and model artifacts,
 * addressed by its sha256. Not re-exported from the SDK face: function code never needs it.
 */
export { BUNDLE_ENTRY, BUNDLE_MANIFEST, BundleFormatError, BundleLimitError, ManifestFormatError, extractBundle, openBundle, packBundle, sha256, versionOf } from './bundle.ts';
export type { BundleLimits, OpenedBundle } from './bundle.ts';
export { isSafePath, tarHeader, writeTar } from './tar.ts';
export { readTar, TarReader } from './tar-reader.ts';
export type { TarLimits } from './tar-reader.ts';
export type { TarEntry } from './tar.ts';
