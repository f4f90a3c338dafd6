// The Ed25519 key that signs the plugin's direct build (docs/wordpress-plugin.md "Updates"):
// PLUGIN_SIGNING_KEY, or one generated once and kept in the database (src/db/service-state.ts).
// The key is a 32-byte seed in base64; the build writes its public key into the updater, and the
// info endpoint publishes each zip's detached signature, which the plugin checks with
// sodium_crypto_sign_verify_detached before it installs anything.
import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';

/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows it (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface PluginSigningKey {
  /** The raw 32-byte public key, base64: what the plugin carries. */
  publicKey: string;
  /** The detached Ed25519 signature of `bytes`, base64 (64 bytes). */
  sign(bytes: Uint8Array): string;
}

/** The seed's bytes when `text` is 32 bytes in base64 or base64url, else undefined. */
export function parseSigningSeed(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return undefined;
  const seed = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return seed.length === 32 ? seed : undefined;
}

export function pluginSigningKey(seedText: string): PluginSigningKey {
  const seed = parseSigningSeed(seedText);
  if (!seed) throw new Error('the plugin signing key must be 32 bytes in base64');
  const privateKey: KeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return {
    // An Ed25519 SPKI is 12 bytes of header, then the 32-byte key.
    publicKey: spki.subarray(spki.length - 32).toString('base64'),
    sign: (bytes) => sign(null, bytes, privateKey).toString('base64'),
  };
}
