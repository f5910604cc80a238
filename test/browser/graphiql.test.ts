// GraphiQL in a real browser with no internet: it loads from the gateway's own files, opens the
// gateway's default query, runs it, and offers the example operations as tabs.
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { Browser, Locator } from "playwright-core";
import { EXAMPLE_OPERATIONS } from "../../src/graphql/examples.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { hasChromium, launchBrowser, offlinePage } from "../helpers/browser.js";
import { startGateway } from "../helpers/gateway.js";

const test = gatewayTest().extend("withKey", { scope: "file" }, async ({ db, clock, tenants: { acme } }, { onCleanup }) => {
  const gateway = await startGateway(db, { clock, graphiqlApiKey: acme.keys.read });
  onCleanup(() => gateway.close());
  return gateway;
});

/** Monaco draws spaces as no-break spaces. */
const textOf = async (locator: Locator) => (await locator.innerText()).replace(/\u00a0/g, " ");

describe.runIf(hasChromium)("GraphiQL in Chromium, offline", () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launchBrowser(); }, 60_000);
  afterAll(async () => { await browser?.close(); });

  test("loads without the internet, opens the default query and runs it", async ({ withKey: gateway }) => {
    const { page, outside, close } = await offlinePage(browser, gateway.url);
    try {
      await page.goto(`${gateway.url}/graphql`);
      // Monaco draws the text in .view-lines (the gutter holds the line numbers).
      const editor = page.locator(".graphiql-query-editor .view-lines");
      await expect.poll(() => textOf(editor), { timeout: 30_000 }).toContain("query Dashboard");
      // One tab per example operation.
      await expect.poll(() => page.locator(".graphiql-tab").count(), { timeout: 10_000 }).toBe(EXAMPLE_OPERATIONS.length);
      await page.locator(".graphiql-execute-button").click();
      const response = page.locator(".graphiql-response .view-lines");
      await expect.poll(() => textOf(response), { timeout: 30_000 }).toContain('"creditBalance"');
      const text = await textOf(response);
      expect(text).toContain('"name": "acme main"');
      expect(text).not.toContain('"errors"');
      expect(outside).toEqual([]);
    } finally {
      await close();
    }
  }, 90_000);
});
