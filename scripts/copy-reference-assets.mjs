// Run by `npm install` (postinstall): copies the API reference's browser bundle
// from node_modules into the gateway's static assets, so /docs loads no script
// from a CDN. Plain JavaScript: it runs before anything could compile TypeScript.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'node_modules/@scalar/api-reference/dist/browser/standalone.js');
const target = join(root, 'gateway/public/docs/scalar-api-reference.js');

if (!existsSync(source)) {
  // An install without devDependencies (e.g. --omit=dev) has no bundle; /docs then renders without its script.
  console.warn(`copy-reference-assets: ${source} is missing; /docs will have no script until devDependencies are installed.`);
} else {
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, target);
}
