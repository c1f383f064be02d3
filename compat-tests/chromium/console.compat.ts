// The web console in a real browser (issue 13): Debian's Chromium driven by
// playwright-core against a kafkalite with its console on, while unmodified
// kafkajs clients create what the pages must show: topics and their messages,
// the produce form (and its answer to invalid JSON), a group with its members
// and lag, and the rebalances its members caused. Every wait is on the page's
// DOM (the console refreshes on the broker's server-sent events), never a sleep.
// Screenshots go to compat-tests/artifacts/ (git-ignored).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import type { Browser, Page } from 'playwright-core';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { buildConsole } from '../../console/build.js';
import { Condition } from '../support/groups.js';
import { chromiumVersion, launchChromium } from '../support/chromium.js';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

describe.skipIf(!chromiumVersion())('web console in Chromium', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let browser: Browser;
  let page: Page;
  const consumers: Consumer[] = [];

  const open = async (hash: string) => {
    await page.goto(`${broker.webConsole!.url}#/${hash}`);
  };
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The page must be the current source's.
    await buildConsole();
    broker = await startBroker({ consolePort: 0, config: { 'group.min.session.timeout.ms': '500' } });
    kafka = new Kafka({ clientId: 'console-browser', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => {})));
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.close();
  });

  it('lists a topic kafkajs created and shows its messages decoded', async () => {
    const topic = 'orders'; // the broker is this file's own: plain names make readable screenshots
    await open('topics');
    await page.getByText('No topics yet').waitFor();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    await producer.send({
      topic,
      messages: [
        { partition: 0, key: 'order-1', value: JSON.stringify({ id: 1, item: 'book', qty: 2 }), headers: { source: 'web' } },
        { partition: 0, key: 'order-2', value: 'plain text body' },
        { partition: 0, key: null, value: Buffer.from([0xca, 0xfe, 0x00, 0x01]) },
      ],
    });
    // The list refreshes by itself when the topic appears.
    const row = page.locator(`tr[data-topic="${topic}"]`);
    await row.waitFor();
    await expect.poll(() => row.locator('td').nth(1).textContent()).toBe('3');
    await row.getByRole('link').click();
    await page.getByTestId('partitions').waitFor();
    await page.locator('select[name=mode]').selectOption('offset');
    await page.locator('input[name=at]').fill('0');
    await page.getByRole('button', { name: 'Show messages' }).click();
    const records = page.getByTestId('records');
    await records.locator('tr[data-offset="2"]').waitFor();
    const first = records.locator('tr[data-offset="0"]');
    expect(await first.locator('pre.value.json').textContent()).toBe(JSON.stringify({ id: 1, item: 'book', qty: 2 }, null, 2));
    expect(await first.textContent()).toContain('source');
    expect(await records.locator('tr[data-offset="1"] pre.value.text').last().textContent()).toBe('plain text body');
    expect(await records.locator('tr[data-offset="2"] pre.value.binary').textContent()).toBe('ca fe 00 01');
    await shot('topic-messages');

    // A bad offset gets a clear message, not a stack trace.
    await page.locator('input[name=at]').fill('999');
    await page.getByRole('button', { name: 'Show messages' }).click();
    await expect.poll(() => page.getByTestId('messages').getByRole('alert').textContent()).toMatch(/offset 999 is out of range/);

    // "The latest" follows the partition: a record kafkajs writes now shows up unasked.
    await page.locator('select[name=mode]').selectOption('latest');
    await page.getByRole('button', { name: 'Show messages' }).click();
    await records.locator('tr[data-offset="2"]').waitFor();
    await producer.send({ topic, messages: [{ partition: 0, value: 'arrived later' }] });
    await records.locator('tr[data-offset="3"]').waitFor();
    expect(await records.locator('tr[data-offset="3"] pre.value').textContent()).toBe('arrived later');
  });

  it('produces from the form, refuses invalid JSON, and kafkajs reads what it wrote', async () => {
    const topic = 'signups';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await open(`topics/${topic}`);
    const form = page.getByTestId('produce');
    await form.waitFor();
    await form.locator('input[name=key]').fill('user-9');
    await form.locator('textarea[name=value]').fill('{"name": "Ada", ');
    await form.locator('input[name=json]').check();
    await form.getByRole('button', { name: 'Produce' }).click();
    await expect.poll(() => form.getByTestId('produce-result').textContent()).toMatch(/value is not valid JSON/);
    await shot('produce-invalid-json');

    await form.locator('textarea[name=value]').fill('{"name": "Ada"}');
    await form.locator('input[name=headers]').fill('{"origin": "console"}');
    await form.getByRole('button', { name: 'Produce' }).click();
    await expect.poll(() => form.getByTestId('produce-result').textContent()).toBe('Produced to partition 0 at offset 0.');

    const cond = new Condition();
    const read: string[] = [];
    const consumer = kafka.consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: 100 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        read.push(`${message.key}=${message.value} origin=${message.headers?.origin}`);
        cond.changed();
      },
    });
    await cond.until(() => read.length === 1, 'kafkajs to read the record produced from the form');
    expect(read).toEqual(['user-9={"name": "Ada"} origin=console']);
  });

  it('shows a group with its members, lag and the rebalances its kafkajs members caused', async () => {
    const topic = 'payments';
    const groupId = 'payments-service';
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ payment: i, amount: i * 10 }) })) });

    const cond = new Condition();
    let consumed = 0;
    const committed = new Map<number, string>();
    const join = async (name: string) => {
      const c = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
      consumers.push(c);
      c.on(c.events.COMMIT_OFFSETS, (e) => {
        for (const t of e.payload.topics) for (const p of t.partitions) committed.set(Number(p.partition), p.offset);
        cond.changed();
      });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        eachMessage: async () => {
          consumed++;
          cond.changed();
        },
      });
      return { name, consumer: c };
    };
    await open(`groups/${groupId}`);
    await page.getByRole('alert').filter({ hasText: 'unknown group' }).waitFor();

    const a = await join('a');
    await broker.waitForGroupState(groupId, 'Stable', { members: 1 });
    await cond.until(() => consumed >= 40 && [...committed.values()].reduce((n, o) => n + Number(o), 0) === 40, 'the group to read and commit all 40 records');
    const b = await join('b');
    await broker.waitForGroupState(groupId, 'Stable', { members: 2 });
    // Both members stop fetching but stay in the group: new records become lag.
    a.consumer.pause([{ topic }]);
    b.consumer.pause([{ topic }]);
    await producer.send({ topic, messages: Array.from({ length: 12 }, (_, i) => ({ partition: i % 4, value: `late-${i}` })) });

    await page.getByTestId('group-facts').waitFor();
    await expect.poll(() => page.getByTestId('total-lag').textContent(), { timeout: 20_000 }).toBe('12');
    await expect.poll(() => page.getByTestId('members').locator('tbody tr').count()).toBe(2);
    expect(await page.getByTestId('group-facts').textContent()).toContain('Stable');
    const rebalances = page.getByTestId('rebalance');
    await expect.poll(() => rebalances.count()).toBeGreaterThanOrEqual(2);
    // Newest first: the second member's join moved partitions from a to b.
    expect(await rebalances.first().textContent()).toMatch(/join · generation \d+ → \d+ · 2 members · Stable/);
    expect(await rebalances.first().textContent()).toMatch(/group paused \d/);
    expect(await rebalances.first().locator('.moved .tag').count()).toBe(2);
    for (const p of [0, 1, 2, 3]) expect(await page.locator(`tr[data-partition="${topic}:${p}"] td.lag`).textContent()).toBe('3');
    await shot('group');

    await open('groups');
    const row = page.locator(`tr[data-group="${groupId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('Stable');
    await shot('groups');
    await open('brokers');
    await page.getByTestId('nodes').waitFor();
    expect(await page.getByTestId('nodes').textContent()).toContain(`:${broker.port}`);
  });

  it('shows request rates and latency per API from the broker metrics', async () => {
    await open('metrics');
    const produce = page.getByTestId('request-metrics').locator('tr[data-api="Produce"]');
    await produce.waitFor();
    expect(Number((await produce.locator('td').nth(1).textContent())!.replace(/,/g, ''))).toBeGreaterThan(0);
    // The rate needs two samples a second apart: the page reads again on the broker's ticks.
    await expect.poll(() => produce.locator('td').nth(2).textContent(), { timeout: 15_000 }).toMatch(/^\d/);
    await shot('metrics');
  });
});
