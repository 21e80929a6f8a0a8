// One browser API over the three engines a visitor uses: Chromium (playwright-core), Firefox ESR (puppeteer-core over
// WebDriver BiDi) and WebKitGTK, Safari's engine (selenium-webdriver and WebKitWebDriver under Xvfb). A test is written
// once against `Browser` and `Tab`; every engine runs with its back/forward cache on, as visitors have it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import puppeteer, { type Browser as PuppeteerBrowser, type Page as PuppeteerPage } from 'puppeteer-core';
import { Builder, By, Key as SeleniumKey, type WebDriver } from 'selenium-webdriver';
import { CHROMIUM_ARGS, CHROMIUM_PATH, VISITOR_UA } from '../../scripts/chromium.mjs';

export type Engine = 'chromium' | 'firefox' | 'webkit';
export const ALL_ENGINES: readonly Engine[] = ['chromium', 'firefox', 'webkit'];

/** The engines this run covers: `PARCOURS_ENGINES=chromium,webkit` narrows it; all three by default. */
export const ENGINES: readonly Engine[] = (process.env.PARCOURS_ENGINES?.split(',') ?? ALL_ENGINES).filter(
  (e): e is Engine => ALL_ENGINES.includes(e as Engine),
);

const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
const WEBKIT_DRIVER_PATH = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
const MINIBROWSER_PATH = process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

export interface LaunchOptions {
  /** A profile folder to keep (reopen it to be the same person); a fresh temporary one by default. Not WebKit: see `Browser.persistent`. */
  profile?: string;
  /** Global Privacy Control on (Firefox's `privacy.globalprivacycontrol.enabled`; the others have no switch and ignore it). */
  gpc?: boolean;
  /** Keep the back/forward cache off: only for a test about exactly that. */
  noBfcache?: boolean;
  /** The visitor asked for reduced motion (\`prefers-reduced-motion: reduce\`), as the system setting would. */
  reducedMotion?: boolean;
}

export interface Tab {
  /** Opens `url` and resolves once it has loaded. */
  goto(url: string): Promise<void>;
  /** Runs `fn(arg)` in the page (a self-contained function: it is sent as source) and answers its (awaited) result. */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<Awaited<R>>;
  /** Polls `fn(arg)` in the page until it is truthy; throws after `timeoutMs`. Survives navigations in between. */
  waitFor<A = undefined>(fn: (arg: A) => unknown, arg?: A, timeoutMs?: number): Promise<void>;
  /** Clicks the element `selector` as a person does (real input events). */
  click(selector: string): Promise<void>;
  /** Focuses `selector` and types `text` key by key. */
  type(selector: string, text: string): Promise<void>;
  /** Presses one key where focus is, as a person does (the browser's own action follows: Tab moves focus). */
  press(key: Key): Promise<void>;
  /** The history's back button; resolves once asked, not when the page is back (a restore fires no load event). */
  back(): Promise<void>;
  /** The tab's current URL. */
  url(): Promise<string>;
  /** Closes the tab as a person does (pagehide runs). */
  close(): Promise<void>;
}

/** The keys a test may press (keyboard-only use). */
type Key = 'Tab' | 'Enter' | 'Escape' | 'ArrowRight' | 'ArrowLeft' | 'Space';

export interface Browser {
  engine: Engine;
  /** Whether closing and relaunching on the same profile keeps storage (WebKit's automation sessions are ephemeral). */
  persistent: boolean;
  newTab(): Promise<Tab>;
  /** Cuts the network the way the browser's own offline switch does (navigator.onLine, `offline`); not WebKit. */
  setOffline?(offline: boolean): Promise<void>;
  /** Quota of the origin forced to `bytes` (Chromium only). */
  overrideQuota?(tab: Tab, origin: string, bytes: number): Promise<void>;
  close(): Promise<void>;
}

const source = (fn: (...a: never[]) => unknown) => `(${fn.toString()})`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 100 ms until truthy; errors while a page navigates count as "not yet". */
async function poll(check: () => Promise<unknown>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}

/** Launches `engine` with the back/forward cache on. */
export function launch(engine: Engine, opts: LaunchOptions = {}): Promise<Browser> {
  if (engine === 'chromium') return launchChromium(opts);
  if (engine === 'firefox') return launchFirefox(opts);
  return launchWebKit(opts);
}

// ── Chromium ────────────────────────────────────────────────────────────────────────────────────────────

async function launchChromium(opts: LaunchOptions): Promise<Browser> {
  const temp = opts.profile ? undefined : mkdtempSync(join(tmpdir(), 'parcours-chromium-'));
  const context = await chromium.launchPersistentContext(opts.profile ?? temp!, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    // The switch, not only the context option: beacons sent while a page unloads carry the browser-wide User-Agent.
    args: [...CHROMIUM_ARGS, `--user-agent=${VISITOR_UA}`, ...(opts.noBfcache ? ['--disable-back-forward-cache'] : [])],
    // Playwright switches the back/forward cache off by default; visitors have it on.
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
    userAgent: VISITOR_UA,
    viewport: { width: 1280, height: 900 },
    reducedMotion: opts.reducedMotion ? 'reduce' : 'no-preference',
  });
  // The persistent context opens with one blank page: close it so tabs are only the test's.
  for (const p of context.pages()) await p.close();
  const pages = new WeakMap<Tab, Page>();
  return {
    engine: 'chromium',
    persistent: true,
    async newTab() {
      const page = await context.newPage();
      const tab = chromiumTab(page);
      pages.set(tab, page);
      return tab;
    },
    setOffline: (offline) => context.setOffline(offline),
    async overrideQuota(tab, origin, bytes) {
      const page = pages.get(tab) ?? context.pages().at(-1)!;
      const cdp = await context.newCDPSession(page);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: bytes });
    },
    async close() {
      await closeQuietly(context);
      if (temp) rmSync(temp, { recursive: true, force: true });
    },
  };
}

async function closeQuietly(context: BrowserContext) {
  await context.close().catch(() => {});
}

function chromiumTab(page: Page): Tab {
  return {
    async goto(url) {
      await page.goto(url);
    },
    evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
    async waitFor(fn, arg, timeoutMs = 15_000) {
      await page.waitForFunction(fn as never, arg, { timeout: timeoutMs });
    },
    click: (selector) => page.click(selector),
    async type(selector, text) {
      await page.click(selector);
      await page.keyboard.type(text, { delay: 5 });
    },
    press: (key) => page.keyboard.press(key),
    // A restore from the back/forward cache fires no load event, which goBack() would wait for: go back from the page.
    back: async () => void (await page.evaluate(() => history.back())),
    url: async () => page.url(),
    // With runBeforeUnload, Playwright's close resolves before the page is gone: wait for it, or a context-wide call
    // right after (setOffline) meets the closing page and fails ("Target page, context or browser has been closed").
    async close() {
      const gone = new Promise<void>((r) => page.once('close', () => r()));
      await page.close({ runBeforeUnload: true });
      await Promise.race([gone, sleep(10_000)]);
    },
  };
}

// ── Firefox ─────────────────────────────────────────────────────────────────────────────────────────────

async function launchFirefox(opts: LaunchOptions): Promise<Browser> {
  // Firefox writes ~/.config/mozilla: a HOME of its own keeps the machine's untouched.
  const home = mkdtempSync(join(tmpdir(), 'parcours-firefox-home-'));
  const browser: PuppeteerBrowser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    protocol: 'webDriverBiDi',
    headless: true,
    userDataDir: opts.profile,
    env: { ...process.env, HOME: home },
    extraPrefsFirefox: {
      'privacy.globalprivacycontrol.enabled': !!opts.gpc,
      'privacy.globalprivacycontrol.functionality.enabled': !!opts.gpc,
      ...(opts.noBfcache ? { 'browser.sessionhistory.max_total_viewers': 0 } : {}),
      ...(opts.reducedMotion ? { 'ui.prefersReducedMotion': 1 } : {}),
    },
  });
  const pages = new Set<PuppeteerPage>();
  let offline = false;
  return {
    engine: 'firefox',
    persistent: true,
    async newTab() {
      const page = await browser.newPage();
      pages.add(page);
      page.once('close', () => pages.delete(page));
      if (offline) await page.setOfflineMode(true);
      return firefoxTab(page);
    },
    // WebDriver BiDi sets offline per tab: every open tab, and the ones opened while offline.
    async setOffline(value) {
      offline = value;
      for (const page of pages) await page.setOfflineMode(value);
    },
    async close() {
      await browser.close().catch(() => {});
      rmSync(home, { recursive: true, force: true });
    },
  };
}

function firefoxTab(page: PuppeteerPage): Tab {
  const href = () => page.evaluate(() => location.href);
  return {
    // Puppeteer over BiDi loses track of a tab's navigations once a page came back from the back/forward cache (its goto
    // then waits for a load it never sees): navigate from the page itself and watch the page arrive.
    async goto(url) {
      const target = new URL(url).href;
      if (page.url() === 'about:blank' && (await href()) === 'about:blank') {
        await page.goto(url, { waitUntil: 'load' });
        return;
      }
      await page.evaluate((to) => void (location.href = to), target);
      await poll(
        () => page.evaluate((to) => location.href === to && document.readyState === 'complete', target),
        30_000,
        `load of ${url}`,
      );
    },
    evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
    waitFor: (fn, arg, timeoutMs = 15_000) =>
      poll(() => page.evaluate(fn as never, arg), timeoutMs, source(fn as never).slice(0, 80)),
    click: (selector) => page.click(selector),
    async type(selector, text) {
      await page.click(selector);
      await page.keyboard.type(text, { delay: 5 });
    },
    press: (key) => page.keyboard.press(key === 'Space' ? ' ' : key),
    back: async () => void (await page.evaluate(() => history.back())),
    url: href,
    close: () => page.close({ runBeforeUnload: true }),
  };
}

// ── WebKit ──────────────────────────────────────────────────────────────────────────────────────────────

let display: Promise<string> | undefined;
/** One Xvfb for this test process (WebKitGTK has no headless mode), stopped when the process exits. */
function xDisplay(): Promise<string> {
  display ??= new Promise((resolve, reject) => {
    // -displayfd: Xvfb picks a free display and writes its number to fd 3 once it accepts clients.
    const x = spawn('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '1280x900x24'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    });
    let out = '';
    x.stdio[3]!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(`:${out.trim()}`);
    });
    x.on('error', reject);
    x.on('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)));
    process.once('exit', () => x.kill());
  });
  return display;
}

/** A config folder whose GTK settings switch animations off: WebKitGTK answers \`prefers-reduced-motion: reduce\` then. */
function gtkWithoutAnimations(): string {
  const config = mkdtempSync(join(tmpdir(), 'parcours-gtk-'));
  mkdirSync(join(config, 'gtk-3.0'));
  writeFileSync(join(config, 'gtk-3.0', 'settings.ini'), '[Settings]\ngtk-enable-animations=false\n');
  return config;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function launchWebKit(opts: LaunchOptions): Promise<Browser> {
  const [DISPLAY, port] = await Promise.all([xDisplay(), freePort()]);
  const driverProcess: ChildProcess = spawn(WEBKIT_DRIVER_PATH, [`--port=${port}`, '--host=127.0.0.1'], {
    env: { ...process.env, DISPLAY, ...(opts.reducedMotion ? { XDG_CONFIG_HOME: gtkWithoutAnimations() } : {}) },
    stdio: 'ignore',
  });
  const server = `http://127.0.0.1:${port}`;
  await poll(async () => (await fetch(`${server}/status`)).ok, 10_000, 'WebKitWebDriver');
  const args = ['--automation', ...(opts.noBfcache ? ['--enable-page-cache=false'] : [])];
  const driver: WebDriver = await new Builder()
    .usingServer(server)
    .withCapabilities({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: MINIBROWSER_PATH, args } })
    .build();
  // One WebDriver drives every tab: a tab's command switches to its window first, one command at a time.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const r = chain.then(f, f);
    chain = r.catch(() => {});
    return r;
  };
  // The session's first window stays open and blank: closing a test's last tab must not end the session.
  const home = await driver.getWindowHandle();
  return {
    engine: 'webkit',
    persistent: false,
    newTab: () =>
      serial(async () => {
        await driver.switchTo().newWindow('tab');
        return webkitTab(driver, await driver.getWindowHandle(), home, serial);
      }),
    async close() {
      await driver.quit().catch(() => {});
      driverProcess.kill();
    },
  };
}

function webkitTab(
  driver: WebDriver,
  handle: string,
  home: string,
  serial: <T>(f: () => Promise<T>) => Promise<T>,
): Tab {
  const on = <T>(f: () => Promise<T>) =>
    serial(async () => {
      await driver.switchTo().window(handle);
      return f();
    });
  // executeScript awaits a returned promise (WebKitWebDriver), so async page functions work as elsewhere.
  const run = (fn: (...a: never[]) => unknown, arg: unknown) =>
    on(() => driver.executeScript(`return ${source(fn)}(arguments[0])`, arg));
  return {
    async goto(url) {
      await on(() => driver.get(url));
    },
    evaluate: (fn, arg) => run(fn as never, arg) as never,
    waitFor: (fn, arg, timeoutMs = 15_000) =>
      poll(() => run(fn as never, arg), timeoutMs, source(fn as never).slice(0, 80)),
    click: (selector) => on(async () => (await driver.findElement(By.css(selector))).click()),
    type: (selector, text) =>
      on(async () => {
        const el = await driver.findElement(By.css(selector));
        await el.click();
        for (const ch of text) await el.sendKeys(ch);
      }),
    press: (key) =>
      on(() =>
        driver
          .actions()
          .sendKeys(
            {
              Tab: SeleniumKey.TAB,
              Enter: SeleniumKey.ENTER,
              Escape: SeleniumKey.ESCAPE,
              ArrowRight: SeleniumKey.ARROW_RIGHT,
              ArrowLeft: SeleniumKey.ARROW_LEFT,
              Space: SeleniumKey.SPACE,
            }[key],
          )
          .perform(),
      ),
    back: () => on(() => driver.navigate().back()),
    url: () => on(() => driver.getCurrentUrl()),
    close: () =>
      on(async () => {
        await driver.close();
        // The driver needs a current window for its next command.
        await driver.switchTo().window(home);
      }),
  };
}
