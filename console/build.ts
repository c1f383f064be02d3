// Builds the web console's front-end (Preact, bundled and minified by esbuild)
// into dist/console, where broker/console/server.ts serves it from. Run by
// `npm run build` (and so by `prepare` on npm install); takes well under a second.
import { build } from 'esbuild';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const CONSOLE_OUT_DIR = join(here, '..', 'dist', 'console');

/** Writes index.html, app.js and app.css to `outDir`; returns each file's size in bytes. */
export async function buildConsole(outDir = CONSOLE_OUT_DIR): Promise<Record<string, number>> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { app: join(here, 'src', 'main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: outDir,
    legalComments: 'none',
    logLevel: 'warning',
  });
  await build({ entryPoints: [join(here, 'src', 'app.css')], bundle: true, minify: true, outdir: outDir, logLevel: 'warning' });
  await copyFile(join(here, 'index.html'), join(outDir, 'index.html'));
  const sizes: Record<string, number> = {};
  for (const f of ['index.html', 'app.js', 'app.css']) sizes[f] = (await stat(join(outDir, f))).size;
  return sizes;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = await buildConsole();
  process.stdout.write(`console: ${Object.entries(sizes).map(([f, n]) => `${f} ${(n / 1024).toFixed(1)} KiB`).join(', ')} in ${CONSOLE_OUT_DIR}\n`);
}
