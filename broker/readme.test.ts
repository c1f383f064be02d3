// The README's table of served APIs must be what the registry serves.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HANDLERS } from './handlers/index.js';

describe('README', () => {
  it('lists exactly the served APIs and versions', () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const rows = [...readme.matchAll(/^\| (\w+) \((\d+)\) \| (\d+)(?:-(\d+))? \|/gm)].map((m) => ({
      name: m[1],
      apiKey: Number(m[2]),
      minVersion: Number(m[3]),
      maxVersion: Number(m[4] ?? m[3]),
    }));
    const served = [...HANDLERS]
      .sort((a, b) => a.api.apiKey - b.api.apiKey)
      .map((h) => ({ name: h.api.name, apiKey: h.api.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
    expect(rows).toEqual(served);
  });
});
