// Webhook signing secrets: made as Standard Webhooks `whsec_` secrets, stored only encrypted (AES-GCM) under the
// WEBHOOK_KEY Worker secret, so a copy of the database alone cannot sign a delivery.

/** Key used when WEBHOOK_KEY is unset and PARCOURS_LOCAL_DEV is "true" (`pnpm dev`, end-to-end tests): never in production. */
const DEV_WEBHOOK_KEY = 'parcours-local-development-webhook-key';
/** Shortest WEBHOOK_KEY accepted: 32 characters (`openssl rand -base64 32` gives 44). */
const MIN_KEY_LENGTH = 32;

const utf8 = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

/**
 * The configured key material, or null when webhooks are off: no WEBHOOK_KEY (or a short one) outside local
 * development, where a fixed development key stands in.
 */
export function webhookKey(env: Pick<Env, 'WEBHOOK_KEY' | 'PARCOURS_LOCAL_DEV'>): string | null {
  if (env.WEBHOOK_KEY && env.WEBHOOK_KEY.length >= MIN_KEY_LENGTH) return env.WEBHOOK_KEY;
  return env.PARCOURS_LOCAL_DEV === 'true' ? (env.WEBHOOK_KEY ?? DEV_WEBHOOK_KEY) : null;
}

/** The AES-GCM key derived from the key material (HKDF-SHA256: any string of at least 32 characters will do). */
async function aesKey(material: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', utf8.encode(material), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8.encode('parcours webhook secrets v1') },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** A new signing secret: `whsec_` and 32 random bytes in base64, as Standard Webhooks libraries expect. */
export function newWebhookSecret(): string {
  return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** The secret encrypted for storage: base64 of IV and ciphertext; bound to its webhook id (a row's secret cannot move to another). */
export async function encryptSecret(material: string, webhookId: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: utf8.encode(webhookId) },
    await aesKey(material),
    utf8.encode(secret),
  );
  return toBase64(new Uint8Array([...iv, ...new Uint8Array(sealed)]));
}

/** The stored secret in clear; throws when the key or the webhook id is not the one it was sealed with. */
export async function decryptSecret(material: string, webhookId: string, stored: string): Promise<string> {
  const bytes = fromBase64(stored);
  const clear = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: bytes.slice(0, 12), additionalData: utf8.encode(webhookId) },
    await aesKey(material),
    bytes.slice(12),
  );
  return new TextDecoder().decode(clear);
}

/** The `webhook-signature` header: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the secret's bytes. */
export async function signDelivery(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    fromBase64(secret.replace(/^whsec_/, '')),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign('HMAC', key, utf8.encode(`${id}.${timestamp}.${body}`));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}
