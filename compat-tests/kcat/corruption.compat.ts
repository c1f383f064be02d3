// Issue 7, item 4, through librdkafka: kcat reads a partition with a rotten
// batch (one byte flipped on disk in the oldest or newest segment, after a
// clean or unclean stop of the real CLI). It gets every record before it, byte
// for byte, and nothing of it; and it no longer loops from offset 0 (it
// used to re-read the partition from the start, forever).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kcatVersion } from '../support/kcat.js';
import { Condition } from '../support/groups.js';
import { HEALTHY_RECORDS, rottenLog, valueOf, type RottenLog } from '../support/rotten-log.js';

interface Rec {
  offset: number;
  payload: string;
}

for (const stop of ['clean', 'unclean'] as const) {
  for (const where of ['oldest', 'newest'] as const) {
    describe.skipIf(!kcatVersion())(`kcat: a rotten batch in the ${where} segment after an ${stop} stop`, () => {
      let log: RottenLog;
      beforeAll(async () => {
        log = await rottenLog(where, stop);
      }, 60_000);
      afterAll(() => log?.close());

      it('every good record, no rotten byte, and the other topic in full', async () => {
        const bootstrap = `${log.broker.host}:${log.broker.port}`;
        const got: Rec[] = [];
        const cond = new Condition();
        const child = spawn('kcat', ['-C', '-b', bootstrap, '-t', 'rot', '-p', '0', '-o', 'beginning', '-J', '-q', '-u'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let buf = '';
        child.stdout.setEncoding('utf8').on('data', (s: string) => {
          buf += s;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.startsWith('{')) got.push(JSON.parse(line) as Rec);
          }
          cond.changed();
        });
        try {
          await cond.until(() => got.length >= log.goodPrefix, 'the good records', 30_000);
          if (stop === 'clean') await log.corruptionLogged;
        } finally {
          child.kill('SIGKILL');
        }
        // no rotten byte, and no second pass from offset 0
        expect(got.map((r) => r.offset)).toEqual(Array.from({ length: log.goodPrefix }, (_, i) => i));
        for (const r of got) expect(r.payload).toBe(valueOf(r.offset));

        const healthy = await new Promise<string>((resolve) => {
          const c = spawn('kcat', ['-C', '-b', bootstrap, '-t', 'healthy', '-o', 'beginning', '-e', '-q', '-f', '%s\\n']);
          let out = '';
          c.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
          c.on('exit', () => resolve(out));
        });
        expect(healthy.trim().split('\n')).toEqual(Array.from({ length: HEALTHY_RECORDS }, (_, i) => valueOf(i)));
        expect(log.broker.proc.exitCode).toBeNull();
      });
    });
  }
}
