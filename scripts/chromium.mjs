// How every test and benchmark starts Chromium on these machines: the binary, its flags, the visitor's User-Agent.

/** Path of the Chromium binary: `CHROMIUM_PATH`, else the distribution's. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for headless Chromium: no sandbox as root, no background traffic (a closed network refuses it, slowly). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A desktop Chrome's User-Agent: headless Chromium says "HeadlessChrome", and the collector rightly drops bots. */
export const VISITOR_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';
