// The dashboard in Chromium with the network cut to the gateway: the Usage page as the 004
// document describes it (columns, Included, presets, cursor pages, CSV equal to the table), and
// the Credits page's balance moving live after a write.
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { Browser, Page } from "playwright-core";
import { gatewayTest } from "../helpers/fixtures.js";
import { hasChromium, launchBrowser, offlinePage } from "../helpers/browser.js";
import { operatorKey } from "../helpers/gateway.js";

const test = gatewayTest({ demo: { days: 40, usageRecords: 1_000 } });

/** Decimal strings compared digit for digit, whatever trailing zeros each side writes. */
const decimal = (value: string) => value.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");

async function signIn(page: Page, url: string, key: string) {
  await page.goto(url);
  await page.fill("input[name=credential]", key);
  await page.click("button[type=submit]");
}

const rows = (page: Page) =>
  page.locator("table.usage tbody tr[data-execution]").evaluateAll((trs) =>
    trs.map((tr) => ({ id: tr.getAttribute("data-execution"), started: tr.getAttribute("data-started"), cells: [...tr.querySelectorAll("td")].map((td) => td.textContent ?? ""), cost: tr.querySelector("[data-cost]")?.getAttribute("data-cost") ?? "" })),
  );

describe.runIf(hasChromium)("the dashboard in Chromium, offline", () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launchBrowser(); }, 60_000);
  afterAll(async () => { await browser?.close(); });

  test("Usage: the 004 columns, presets, 100-row pages forwards and back, and a CSV equal to the table", async ({ gateway, clock, acmeProd }) => {
    const { page, outside, close } = await offlinePage(browser, gateway.url);
    try {
      // The page's clock is the gateway's, so that its presets cover the demo's data on any date.
      await page.clock.setFixedTime(clock.now());
      // The page runs only its own files (its policy is enforced by the browser throughout this test).
      const shell = await fetch(`${gateway.url}/workspace/${acmeProd.workspaceId}/usage`);
      expect(shell.headers.get("content-security-policy")).toMatch(/^default-src 'self';.*frame-ancestors 'none'/);
      await shell.arrayBuffer();
      await signIn(page, `${gateway.url}/workspace/${acmeProd.workspaceId}/usage`, acmeProd.key);
      await expect.poll(() => rows(page).then((r) => r.length), { timeout: 30_000 }).toBe(100);
      expect(await page.locator("table.usage thead th").allTextContents()).toEqual(["Date", "Type", "Workflow", "Model", "Tokens", "Cost"]);
      const first = await rows(page);
      // Included rows show "Included" as their cost; the others a dollar amount.
      for (const row of first) expect([row.cells[1], row.cells[5]!.startsWith("$") || row.cells[5] === "Included"]).toEqual([expect.stringMatching(/^(Included|On-Demand)$/), true]);
      expect(first.filter((r) => r.cells[1] === "Included").every((r) => r.cells[5] === "Included")).toBe(true);
      // Newest first, and the addresses name the workspace by its UUID.
      expect(first.map((r) => r.started)).toEqual(first.map((r) => r.started).sort().reverse());
      expect(page.url()).toBe(`${gateway.url}/workspace/${acmeProd.workspaceId}/usage`);

      expect(await page.locator(".pager button:text('Prev')").isDisabled()).toBe(true);
      await page.click(".pager button:text('Next')");
      await expect.poll(async () => (await rows(page))[0]?.id, { timeout: 15_000 }).not.toBe(first[0]!.id);
      const second = await rows(page);
      expect(second[0]!.started! <= first.at(-1)!.started!).toBe(true);
      await page.click(".pager button:text('Prev')");
      await expect.poll(async () => (await rows(page)).map((r) => r.id), { timeout: 15_000 }).toEqual(first.map((r) => r.id));

      // The CSV of the same range: its first 100 rows are the table's, field for field.
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("button.export")]);
      expect(download.suggestedFilename()).toMatch(new RegExp(`^usage-${acmeProd.workspaceId}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
      const lines = (await (await download.createReadStream()).toArray()).join("").trim().split("\n");
      expect(lines[0]).toBe("Date,Execution,Workflow,Trigger,Model,Tokens,Cost (USD)");
      const csv = lines.slice(1, 101).map((line) => line.split(","));
      expect(csv.map(([date, , workflow, , model, tokens, cost]) => [date, workflow, model, tokens, decimal(cost!)])).toEqual(
        first.map((r) => [r.started, r.cells[2], r.cells[3], r.cells[4]!.replace(/,/g, ""), decimal(r.cost)]),
      );

      // 7d: fewer rows, all within the last seven days.
      await page.click(".toolbar button:text('7d')");
      const weekAgo = new Date(clock.now().getTime() - 7 * 86_400_000).toISOString();
      await expect.poll(async () => (await rows(page)).every((r) => r.started! >= weekAgo), { timeout: 15_000 }).toBe(true);
      const week = await rows(page);
      expect(week.length).toBeGreaterThan(0);
      expect(first.some((r) => r.started! < weekAgo) || second.some((r) => r.started! < weekAgo)).toBe(true);
      expect(outside).toEqual([]);
    } finally {
      await close();
    }
  }, 120_000);

  test("errors read as a person wants them: a bad key goes back to sign-in, a key without read:billing is told so", async ({ gateway, db, clock, acmeProd }) => {
    const { page, close } = await offlinePage(browser, gateway.url);
    try {
      await page.clock.setFixedTime(clock.now());
      await signIn(page, `${gateway.url}/workspace/${acmeProd.workspaceId}/usage`, `bgk_${"x".repeat(43)}`);
      await expect.poll(() => page.locator("form.signin [role=alert]").textContent(), { timeout: 15_000 }).toMatch(/not valid any more.*Sign in again/);
      const writer = await operatorKey(db, { name: "writer", scopes: ["write:usage"], workspaceId: acmeProd.workspaceId }, clock);
      await page.fill("input[name=credential]", writer);
      await page.click("button[type=submit]");
      await expect.poll(() => page.locator("main [role=alert]").textContent(), { timeout: 15_000 }).toMatch(/needs the read:billing scope/);
    } finally {
      await close();
    }
  }, 120_000);

  test("Credits: the balance moves live when usage is recorded", async ({ gateway, clock, acmeProd }) => {
    const { page, outside, close } = await offlinePage(browser, gateway.url);
    try {
      await page.clock.setFixedTime(clock.now());
      await signIn(page, `${gateway.url}/workspace/${acmeProd.workspaceId}/credits`, acmeProd.key);
      const balance = page.locator("[data-testid=balance]");
      await expect.poll(() => balance.textContent(), { timeout: 30_000 }).toMatch(/^\d/);
      const before = await balance.textContent();
      const written = await fetch(`${gateway.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${acmeProd.key}` },
        body: JSON.stringify({ query: `mutation { recordUsage(records: [{ idempotencyKey: "browser-live-1", sku: "storage-gb-hours", units: "500" }]) { ... on RecordUsagePayload { accepted creditBalance { credits } } } }` }),
      });
      const after = ((await written.json()) as { data: { recordUsage: { accepted: number; creditBalance: { credits: string } } } }).data.recordUsage;
      expect(after.accepted).toBe(1);
      const shown = (credits: string) => credits.replace(/^(-?\d+)/, (whole) => Number(whole).toLocaleString("en-US"));
      await expect.poll(() => balance.textContent(), { timeout: 15_000 }).toBe(shown(after.creditBalance.credits));
      expect(await balance.textContent()).not.toBe(before);
      expect(outside).toEqual([]);
    } finally {
      await close();
    }
  }, 120_000);
});
