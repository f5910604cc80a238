// Debian's Chromium driven by playwright-core, cut off from every host but the gateway's: a
// request elsewhere (a CDN) is refused and recorded, so a test can say that none was made.
import fs from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = fs.existsSync(CHROMIUM);

export interface OfflinePage {
  page: Page;
  /** URLs the page asked for outside the gateway (each refused). */
  outside: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  // libfaketime (the suite's dated passes) is for the gateway, not for the browser.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(LD_PRELOAD|FAKETIME)/.test(name))) as Record<string, string>;
  return chromium.launch({
    executablePath: CHROMIUM,
    env,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export async function offlinePage(browser: Browser, origin: string): Promise<OfflinePage> {
  const context = await browser.newContext();
  const outside: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url.startsWith("blob:") || url.startsWith("data:")) return route.continue();
    outside.push(url);
    return route.abort("internetdisconnected");
  });
  const page = await context.newPage();
  return { page, outside, close: () => context.close() };
}
