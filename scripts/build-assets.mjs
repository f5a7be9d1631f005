// Builds static/govuk/ (git-ignored) from GOV.UK Frontend: `npm run build`.
//
//   static/app/scss/app.scss                  -> static/govuk/app.css (compressed)
//   govuk-frontend/dist/govuk/*.min.js(.map)  -> static/govuk/
//
// We use GOV.UK Frontend without the GOV.UK brand: Arial instead of GDS Transport, and no
// crown, crest, favicons or manifest. So the fonts and images folders are NOT copied, and the
// build fails if the CSS mentions GDS Transport or a url(...) that does not resolve to a file
// under static/ (Django's ManifestStaticFilesStorage would fail on it in production anyway).
import { copyFile, mkdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const staticDir = path.join(root, "static");
const outDir = path.join(staticDir, "govuk");
const govukDist = path.join(root, "node_modules", "govuk-frontend", "dist", "govuk");

async function exists(file) {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function buildCss() {
  const entry = path.join(staticDir, "app", "scss", "app.scss");
  const result = await sass.compileAsync(entry, {
    loadPaths: [path.join(root, "node_modules")],
    style: "compressed",
    sourceMap: false,
    // GOV.UK Frontend's own deprecation notices are not ours to fix.
    quietDeps: true,
  });
  const css = result.css;
  const outFile = path.join(outDir, "app.css");

  if (/GDS Transport/i.test(css)) {
    throw new Error("app.css mentions GDS Transport: check $govuk-font-family in app.scss");
  }
  if (/@font-face/i.test(css)) {
    throw new Error("app.css contains an @font-face rule: we ship no web fonts");
  }
  if (/url\([^)]*(crest|crown)/i.test(css)) {
    throw new Error("app.css refers to a crown or crest image");
  }

  // Every url(...) must resolve to a file under static/, relative to static/govuk/app.css.
  const missing = [];
  for (const match of css.matchAll(/url\(\s*(['"]?)([^'")]+)\1\s*\)/g)) {
    const ref = match[2].trim();
    if (ref.startsWith("data:") || ref.startsWith("#")) continue;
    const target = ref.startsWith("/static/")
      ? path.join(staticDir, ref.slice("/static/".length))
      : path.resolve(outDir, ref.split(/[?#]/)[0]);
    if (!target.startsWith(staticDir + path.sep) || !(await exists(target))) missing.push(ref);
  }
  if (missing.length) {
    throw new Error(`app.css refers to files that are not under static/: ${missing.join(", ")}`);
  }

  await writeFile(outFile, css + "\n");
  return { file: outFile, bytes: Buffer.byteLength(css) };
}

async function copyJs() {
  // The .map must come too: the .min.js names it, and ManifestStaticFilesStorage follows it.
  const copied = [];
  for (const name of ["govuk-frontend.min.js", "govuk-frontend.min.js.map"]) {
    await copyFile(path.join(govukDist, name), path.join(outDir, name));
    copied.push(path.join(outDir, name));
  }
  return copied;
}

async function main() {
  await mkdir(outDir, { recursive: true });
  const css = await buildCss();
  const js = await copyJs();
  console.log(`built ${path.relative(root, css.file)} (${css.bytes} bytes)`);
  for (const file of js) console.log(`copied ${path.relative(root, file)}`);
}

main().catch((error) => {
  console.error(error.message ?? error);
  process.exit(1);
});
