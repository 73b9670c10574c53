// Copies public/ (HTML, CSS) into dist/ next to the compiled JavaScript; `--clean` removes dist/.
// Dependency-free on purpose: it runs in the image's build stage right after `tsc`.
import { cpSync, existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");

if (process.argv.includes("--clean")) {
  rmSync(dist, { recursive: true, force: true });
  console.log("removed dist/");
} else {
  const from = join(root, "public");
  if (!existsSync(from)) {
    console.error(`copy-static: ${from} does not exist`);
    process.exit(1);
  }
  cpSync(from, dist, { recursive: true });
  console.log("copied public/ -> dist/");
}
