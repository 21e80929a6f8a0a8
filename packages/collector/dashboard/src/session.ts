// The signed-in site and read token, kept in sessionStorage: gone when the tab closes, never in a URL.

export interface Credentials {
  site: string;
  token: string;
}

const KEY = 'parcours.dashboard.credentials';

/** The credentials saved for this tab, if any. */
export function loadCredentials(storage: Storage = sessionStorage): Credentials | null {
  try {
    const v = JSON.parse(storage.getItem(KEY) ?? 'null') as Partial<Credentials> | null;
    return v && typeof v.site === 'string' && typeof v.token === 'string' && v.site && v.token
      ? { site: v.site, token: v.token }
      : null;
  } catch {
    return null;
  }
}

/** Keeps the credentials for the rest of this browser session. */
export function saveCredentials(c: Credentials, storage: Storage = sessionStorage): void {
  storage.setItem(KEY, JSON.stringify(c));
}

/** Forgets the credentials (sign out, or a token the collector refused). */
export function clearCredentials(storage: Storage = sessionStorage): void {
  storage.removeItem(KEY);
}
