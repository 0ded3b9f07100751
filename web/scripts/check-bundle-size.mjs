// Fails the build when the JavaScript shipped to the browser exceeds the budget (gzipped).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_BYTES = 300 * 1024;
const dir = new URL("../dist/assets/", import.meta.url).pathname;

let total = 0;
for (const name of readdirSync(dir)) {
  const path = join(dir, name);
  if (!name.endsWith(".js") || !statSync(path).isFile()) continue;
  const gz = gzipSync(readFileSync(path), { level: 9 }).length;
  total += gz;
  console.log(`  ${name}: ${(gz / 1024).toFixed(1)} KB gzipped`);
}
const line = `JavaScript shipped: ${(total / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_BYTES / 1024} KB)`;
if (total > BUDGET_BYTES) {
  console.error(`${line}: over budget`);
  process.exit(1);
}
console.log(line);
