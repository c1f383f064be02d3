// How a bench file runs as a program: only when it is the script node started
// (so an index runner can import its scenarios), exiting 0 or 1 with the error.
import { pathToFileURL } from 'node:url';

/** True when `url` (import.meta.url) is the script node was started with. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === url;
}

/** Runs `run` as the whole program: exit 0, or 1 with the error. */
export function runAsProgram(name: string, run: () => Promise<void>): void {
  run().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
