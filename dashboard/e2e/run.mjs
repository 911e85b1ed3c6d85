// End-to-end test of the dashboard in a real browser: Debian's Chromium driven
// by playwright-core, against a live server (scripts/with-live-server.sh gives
// WARDEN_URL and WARDEN_BIN) with data seeded through the API. Screenshots of
// every step are kept in build/e2e/screenshots/.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SHOTS = join(ROOT, "build", "e2e", "screenshots");
mkdirSync(SHOTS, { recursive: true });
const BASE = need("WARDEN_URL");
const BIN = need("WARDEN_BIN");

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run through scripts/with-live-server.sh`);
  return v;
}

function token(roles, sub, tenant) {
  const args = ["token", "--sub", sub, "--ttl", "1h"];
  for (const r of roles) args.push("--role", r);
  if (tenant) args.push("--tenant", tenant);
  return execFileSync(BIN, args, { encoding: "utf8" }).trim();
}

async function call(method, path, tok, tenant, body) {
  const headers = { Authorization: `Bearer ${tok}` };
  if (tenant) headers["X-Tenant-ID"] = tenant;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  const json = text ? JSON.parse(text) : null;
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return json;
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`  ok: ${what}`);
}

// ---- seed ------------------------------------------------------------------
const platform = token(["platform_admin"], "e2e-admin");
const tenant = (await call("POST", "/api/v1/tenants", platform, null, { name: `dash-${Date.now()}` })).id;
const admin = token(["tenant_admin"], "admin", tenant);
const mod = token(["moderator"], "mod", tenant);
const seller = token(["seller"], "seller-1", tenant);
await call("GET", "/api/v1/users/me", mod, tenant);
const sellerUser = (await call("GET", "/api/v1/users/me", seller, tenant)).id;
await call("PUT", "/api/v1/sellers/me", seller, tenant, { store_name: "Corner shop" });
await call("POST", "/api/v1/moderation/rules", admin, tenant, {
  name: "Replicas need a look",
  kind: "pattern",
  pattern: { keywords: ["replica"] },
  content_types: ["product"],
  action: "require_review",
});
await call("POST", "/api/v1/products", seller, tenant, { title: "Replica watch", price_minor: 1000, currency: "USD" });
await call("POST", "/api/v1/violations", mod, tenant, { user_id: sellerUser, type: "content", severity: "medium", reason: "misleading photos" });
// (A second violation of the same seller would ban them: the ladder's second step.)
const otherUser = (await call("GET", "/api/v1/users/me", token(["seller"], "seller-2", tenant), tenant)).id;
await call("POST", "/api/v1/violations", mod, tenant, { user_id: otherUser, type: "behavior", severity: "low", reason: "slow replies" });
console.log(`seeded tenant ${tenant}`);

// ---- browser ---------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
let step = 0;
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const shot = (name) => page.screenshot({ path: join(SHOTS, `${String(++step).padStart(2, "0")}-${name}.png`), fullPage: true });
page.setDefaultTimeout(15_000);
try {
  console.log("sign in");
  await page.goto(`${BASE}/dashboard/`);
  await page.getByLabel("Bearer token").fill(mod);
  await page.getByLabel("Tenant id").fill(tenant);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  await page.getByTestId("pending-reviews").waitFor();
  check((await page.getByTestId("pending-reviews").textContent()) === "1", "overview counts one pending review");
  check((await page.getByTestId("open-violations").textContent()) === "2", "overview counts two open violations");
  await page.getByText("live", { exact: true }).waitFor();
  check(true, "live feed connected");
  await shot("overview");

  console.log("statistics before");
  await page.getByRole("link", { name: "Statistics" }).click();
  await page.getByTestId("violations-total").waitFor();
  const statusChart = page.getByRole("img", { name: /^By status:/ });
  check(/open 2/.test(await statusChart.getAttribute("aria-label")), "statistics show two open");
  await shot("statistics-before");

  console.log("filter and resolve a violation");
  await page.getByRole("link", { name: "Violations" }).click();
  await page.getByRole("row").nth(2).waitFor();
  await page.getByLabel("severity").selectOption("medium");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForFunction(() => document.querySelectorAll("tbody tr").length === 1);
  check((await page.locator("tbody tr").count()) === 1, "the severity filter leaves one violation");
  await shot("violations-filtered");
  await page.getByRole("button", { name: "misleading photos" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Note").fill("photos replaced by the seller");
  await dialog.getByRole("region", { name: "Statement of reasons" }).waitFor();
  check(/^by /.test((await dialog.getByTestId("evidence-decided").textContent()) ?? ""), "a manual violation's evidence names who decided");
  await shot("violation-dialog");
  await dialog.getByRole("button", { name: "Resolve" }).click();
  await dialog.waitFor({ state: "detached" });
  await page.locator("tbody tr td", { hasText: "resolved" }).waitFor();
  check(true, "the violation shows as resolved");
  await shot("violation-resolved");

  console.log("statistics after");
  await page.getByRole("link", { name: "Statistics" }).click();
  await page.getByTestId("violations-total").waitFor();
  await page.waitForFunction(() =>
    /resolved 1/.test(document.querySelector('[role="img"][aria-label^="By status:"]')?.getAttribute("aria-label") ?? ""),
  );
  const after = await page.getByRole("img", { name: /^By status:/ }).getAttribute("aria-label");
  check(/open 1/.test(after) && /resolved 1/.test(after), `statistics changed: ${after}`);
  await shot("statistics-after");

  console.log("live notification");
  await page.getByRole("link", { name: /^Notifications/ }).click();
  await page.getByRole("heading", { name: "Notifications" }).waitFor();
  const before = await page.locator('[data-testid="notifications"] li').count();
  // A second listing needing review notifies staff; it arrives over the WebSocket.
  await call("POST", "/api/v1/products", seller, tenant, { title: "Replica bag", price_minor: 2000, currency: "USD" });
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="notifications"] li').length > n,
    before,
  );
  check(true, "a new notification appeared without reloading");
  await page.getByTestId("unread-badge").waitFor();
  await shot("notification-arrived");

  console.log("claim and approve a review item");
  await page.getByRole("link", { name: "Review queue" }).click();
  const items = page.locator(".list.selectable li button");
  await items.first().waitFor();
  const queued = await items.count();
  await items.first().click();
  await page.locator("mark", { hasText: /replica/i }).first().waitFor();
  check(true, "the matched word is highlighted");
  await page.getByRole("button", { name: "Claim" }).click();
  await page.getByRole("button", { name: "Approve" }).waitFor();
  await shot("review-claimed");
  await page.getByRole("button", { name: "Approve" }).click();
  await page.waitForFunction((n) => document.querySelectorAll(".list.selectable li").length === n - 1, queued);
  check(true, "the approved item left the queue");
  await shot("review-approved");

  console.log("a pattern, refused then saved, and its backtest (as a tenant admin)");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Bearer token").fill(admin);
  await page.getByLabel("Tenant id").fill(tenant);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Detections & rules" }).click();
  await page.getByRole("button", { name: "New pattern" }).click();
  const editor = page.getByLabel("Pattern (JSON)");
  const draft = JSON.parse(await editor.inputValue());
  draft.condition = { field: "action", op: "eqq", value: "auth_failure" };
  await editor.fill(JSON.stringify(draft, null, 2));
  await page.getByRole("button", { name: "Save" }).click();
  await page.locator(".field-error", { hasText: "condition.op" }).waitFor();
  check(true, "the refused pattern names its failing field");
  await shot("pattern-invalid");
  draft.condition.op = "eq";
  await editor.fill(JSON.stringify(draft, null, 2));
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Saved.").waitFor();
  await page.getByRole("button", { name: "Close" }).click();
  await page.getByRole("button", { name: "backtest" }).first().click();
  await page.getByRole("button", { name: "Run backtest" }).click();
  await page.getByTestId("backtest-report").waitFor();
  check(true, "the backtest reports what it scanned");
  await shot("pattern-backtest");
  await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();

  console.log("the evidence of a refused listing, multibyte text highlighted");
  await call("POST", "/api/v1/moderation/rules", admin, tenant, {
    name: "No fakes",
    kind: "pattern",
    pattern: { keywords: ["подделка"] },
    content_types: ["product"],
    action: "reject",
  });
  const seller3 = token(["seller"], "seller-3", tenant);
  const seller3User = (await call("GET", "/api/v1/users/me", seller3, tenant)).id;
  await call("PUT", "/api/v1/sellers/me", seller3, tenant, { store_name: "Кафе ☕" });
  const refused = await fetch(`${BASE}/api/v1/products`, {
    method: "POST",
    headers: { Authorization: `Bearer ${seller3}`, "X-Tenant-ID": tenant, "Content-Type": "application/json" },
    body: JSON.stringify({ title: "Café 😀 Rolex — подделка", price_minor: 5000, currency: "EUR" }),
  });
  check(refused.status === 422, `the listing is refused (${refused.status})`);
  await page.getByRole("link", { name: "Violations" }).click();
  await page.getByLabel("user").fill(seller3User);
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForFunction(() => document.querySelectorAll("tbody tr").length === 1);
  await page.locator("tbody tr button.link").click();
  const evidenceDialog = page.getByRole("dialog");
  await evidenceDialog.locator("mark").first().waitFor();
  const marks = await evidenceDialog.locator("mark").allTextContents();
  check(marks.length === 1 && marks[0] === "подделка", `the matched word is marked: ${JSON.stringify(marks)}`);
  check(
    ((await evidenceDialog.getByTestId("evidence-text").textContent()) ?? "").includes("Café 😀 Rolex — подделка"),
    "the evidence holds the text as judged",
  );
  const reasons = (await evidenceDialog.getByRole("region", { name: "Statement of reasons" }).textContent()) ?? "";
  check(reasons.includes("No fakes"), "the statement of reasons names the rule");
  await shot("violation-evidence");
  await evidenceDialog.getByRole("button", { name: "Close" }).click();
} catch (e) {
  await shot("failure").catch(() => {});
  console.error(e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
if (!process.exitCode) console.log("dashboard e2e: passed");
