// Bundles the page into one folder that `headspa serve` serves: index.html, style.css, app.js.
// Usage: node build.mjs OUT_DIR (the build runs it; see src/server/CMakeLists.txt).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs OUT_DIR');
  process.exit(2);
}
if (!existsSync(join(here, 'node_modules', 'esbuild'))) {
  console.error(
    'web/node_modules is missing: run scripts/install-deps.sh (it runs `npm ci` in web/)');
  process.exit(1);
}
const esbuild = await import('esbuild');
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [join(here, 'src', 'main.js')],
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
});
for (const f of ['index.html', 'style.css']) copyFileSync(join(here, 'src', f), join(out, f));
console.log(`web page bundled into ${out}`);
