// Debian's Chromium (`apt-get install chromium`), driven by playwright-core,
// which downloads no browser of its own.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let cached: string | null | undefined;

/** Chromium's version line, or null when it is not installed. */
export function chromiumVersion(): string | null {
  if (cached === undefined) {
    const r = existsSync(CHROMIUM) ? spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }) : null;
    cached = r?.status === 0 ? (r.stdout.split('\n').find((l) => /chromium/i.test(l)) ?? r.stdout).trim() : null;
  }
  return cached;
}

export function launchChromium(): Promise<Browser> {
  // Chromium's sandbox needs an unprivileged user; CI runs as root.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
}
