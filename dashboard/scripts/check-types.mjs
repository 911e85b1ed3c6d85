// Fails when src/api/schema.d.ts differs from what openapi-typescript makes
// of api-spec/openapi.json (run `npm run types` and commit the result).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const out = join(mkdtempSync(join(tmpdir(), "warden-types-")), "schema.d.ts");
execFileSync(
  process.execPath,
  ["node_modules/openapi-typescript/bin/cli.js", "../api-spec/openapi.json", "-o", out],
  { stdio: ["ignore", "ignore", "inherit"] },
);
const fresh = readFileSync(out, "utf8");
const committed = readFileSync("src/api/schema.d.ts", "utf8");
if (fresh !== committed) {
  console.error(
    "dashboard/src/api/schema.d.ts is stale against api-spec/openapi.json: run `npm run types` in dashboard/ and commit the result",
  );
  process.exit(1);
}
console.log("API types match api-spec/openapi.json");
