import { execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

// Which CommonJS modules a fresh Node process has loaded after running `script`.
function loadedModules(script: string): string[] {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as string[];
}

const REPORT = `const { createRequire } = await import('node:module');
process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;

describe('createLogger', () => {
  it('a library user importing kafkalite and starting a broker never loads pino-pretty', () => {
    const loaded = loadedModules(
      `const { startBroker } = await import('./index.ts'); const b = await startBroker(); await b.close(); ${REPORT}`,
    );
    expect(loaded.some((p) => p.includes('pino-abstract-transport') || p.includes('sonic-boom'))).toBe(true);
    expect(loaded.filter((p) => p.includes('pino-pretty'))).toEqual([]);
  });

  it('a JSON logger does not load pino-pretty; a pretty one does', () => {
    const json = loadedModules(
      `const { createLogger } = await import('./broker/logger.ts'); createLogger({ pretty: false, level: 'silent' }); ${REPORT}`,
    );
    expect(json.filter((p) => p.includes('pino-pretty'))).toEqual([]);
    const pretty = loadedModules(
      `const { createLogger } = await import('./broker/logger.ts'); createLogger({ pretty: true, level: 'silent' }); ${REPORT}`,
    );
    expect(pretty.some((p) => p.includes('pino-pretty'))).toBe(true);
  });

  it('pretty lines are not JSON and carry the message', () => {
    const sink = new PassThrough();
    let text = '';
    sink.on('data', (c: Buffer) => (text += c.toString()));
    createLogger({ pretty: true, destination: sink }).info({ topic: 't' }, 'hello there');
    expect(text).toContain('hello there');
    expect(() => JSON.parse(text)).toThrow();
  });
});
