// The web console's JSON API over real HTTP against a real broker, with kafkajs
// producing and consuming on the other side (issue 13): topics with their
// offsets, the message browser's decoding (JSON, text, binary, headers), reading
// from an offset or a timestamp, the produce form's path read back by kafkajs, a
// group with its members, assignments and lag, the rebalance timeline, the
// event stream, and clear 4xx answers for bad input.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { request } from 'node:http';
import { CompressionTypes, Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { startBroker, startCluster, type RunningBroker } from '../../broker/broker.js';
import { buildConsole } from '../../console/build.js';
import { RateSampler } from '../../broker/console/rates.js';
import { uniqueTopic } from '../support/broker.js';
import { Condition } from '../support/groups.js';

interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('web console API', () => {
  let broker: RunningBroker;
  let base: string;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];

  async function api(path: string, init?: { method?: string; body?: string; headers?: Record<string, string> }): Promise<Answer> {
    const res = await fetch(new URL(path, base), { method: init?.method ?? 'GET', body: init?.body, headers: init?.headers });
    const text = await res.text();
    expect(text, 'no stack trace in an answer').not.toMatch(/\n\s+at /);
    return { status: res.status, body: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text };
  }

  const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => api(path, { method: 'POST', body, headers });

  beforeAll(async () => {
    broker = await startBroker({ consolePort: 0, config: { 'group.min.session.timeout.ms': '500' } });
    base = broker.webConsole!.url;
    kafka = new Kafka({ clientId: 'console-api', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => {})));
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.close();
  });

  it('is off unless asked for, and binds 127.0.0.1 by default', async () => {
    const plain = await startBroker();
    try {
      expect(plain.webConsole).toBeNull();
    } finally {
      await plain.close();
    }
    expect(new URL(base).hostname).toBe('127.0.0.1');
  });

  it('serves the built front-end from the package, nothing from a CDN', async () => {
    await buildConsole();
    const html = await api('/');
    expect(html.status).toBe(200);
    expect(html.body).toContain('<script type="module" src="app.js">');
    expect(html.body).not.toMatch(/https?:\/\//);
    const js = await fetch(new URL('/app.js', base));
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await js.text()).not.toMatch(/src=["']https?:/);
  });

  it('lists topics with partitions, leaders, offsets and sizes', async () => {
    const topic = uniqueTopic('console-topics');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
    await producer.send({ topic, messages: [0, 1, 2].map((i) => ({ partition: 1, value: `v${i}` })) });
    const list = await api('/api/topics');
    expect(list.status).toBe(200);
    const row = list.body.find((t: { name: string }) => t.name === topic);
    expect(row).toMatchObject({ name: topic, partitions: 2, records: 3, internal: false });
    expect(row.sizeBytes).toBeGreaterThan(0);

    const detail = await api(`/api/topics/${topic}`);
    expect(detail.status).toBe(200);
    expect(detail.body.partitions.map((p: { partition: number; highWatermark: number; leader: number }) => [p.partition, p.highWatermark, p.leader])).toEqual([
      [0, 0, 0],
      [1, 3, 0],
    ]);
    expect(detail.body.configOverrides).toEqual({ 'retention.ms': '3600000' });
    expect(detail.body.effective['retention.ms']).toBe(3600000);

    const nodes = await api('/api/nodes');
    expect(nodes.body.clusterId).toBe(broker.clusterId);
    expect(nodes.body.nodes).toEqual([expect.objectContaining({ nodeId: 0, live: true, endpoints: [expect.objectContaining({ port: broker.port })] })]);
  });

  it('shows records as JSON, text or hex with their headers, from an offset, a timestamp or the end', async () => {
    const topic = uniqueTopic('console-browse');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await producer.send({
      topic,
      messages: [
        { key: 'k-json', value: '{"order":7,"items":["a","b"]}', headers: { source: 'test' }, timestamp: '1700000000000' },
        { key: null, value: 'plain text', timestamp: '1700000001000' },
        { key: Buffer.from([0x00, 0xff, 0x10]), value: Buffer.from([0xde, 0xad, 0xbe, 0xef]), timestamp: '1700000002000' },
        { value: null, timestamp: '1700000003000' },
      ],
    });
    const all = await api(`/api/topics/${topic}/messages?partition=0&offset=0`);
    expect(all.status).toBe(200);
    const [json, text, bin, tomb] = all.body.records;
    expect(json.key).toMatchObject({ kind: 'text', text: 'k-json' });
    expect(json.value.kind).toBe('json');
    expect(JSON.parse(json.value.text)).toEqual({ order: 7, items: ['a', 'b'] });
    expect(json.value.text).toContain('\n  "order": 7');
    expect(json.headers).toEqual([{ key: 'source', value: expect.objectContaining({ kind: 'text', text: 'test' }) }]);
    expect(text.key.kind).toBe('null');
    expect(text.value).toMatchObject({ kind: 'text', text: 'plain text' });
    expect(bin.key).toMatchObject({ kind: 'binary', text: '00 ff 10' });
    expect(bin.value).toMatchObject({ kind: 'binary', text: 'de ad be ef', bytes: 4 });
    expect(tomb.value.kind).toBe('null');

    const fromTs = await api(`/api/topics/${topic}/messages?partition=0&timestamp=1700000001500`);
    expect(fromTs.body.records.map((r: { offset: number }) => r.offset)).toEqual([2, 3]);
    const fromIso = await api(`/api/topics/${topic}/messages?partition=0&timestamp=${encodeURIComponent(new Date(1700000001000).toISOString())}`);
    expect(fromIso.body.from).toBe(1);
    const last = await api(`/api/topics/${topic}/messages?partition=0&limit=2`);
    expect(last.body.records.map((r: { offset: number }) => r.offset)).toEqual([2, 3]);
    expect(last.body.highWatermark).toBe(4);
  });

  it('decodes records of compressed batches', async () => {
    const topic = uniqueTopic('console-gzip');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: Array.from({ length: 5 }, (_, i) => ({ value: JSON.stringify({ i }) })) });
    const a = await api(`/api/topics/${topic}/messages?offset=2&limit=2`);
    expect(a.body.records.map((r: { offset: number; value: { text: string } }) => [r.offset, JSON.parse(r.value.text)])).toEqual([
      [2, { i: 2 }],
      [3, { i: 3 }],
    ]);
  });

  it('on a three-node cluster shows every node, the leaders, and produces to a partition another node leads', async () => {
    const cluster = await startCluster({ nodes: 3, consolePort: 0 });
    try {
      const get = async (path: string) => (await fetch(new URL(path, cluster.webConsole!.url))).json();
      const topic = uniqueTopic('console-cluster');
      const clusterAdmin = new Kafka({ clientId: 'console-cluster', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
      await clusterAdmin.connect();
      await clusterAdmin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
      await clusterAdmin.disconnect();
      const nodes = await get('/api/nodes');
      expect(nodes.nodes.map((n: { nodeId: number; live: boolean }) => [n.nodeId, n.live])).toEqual([
        [0, true],
        [1, true],
        [2, true],
      ]);
      const detail = await get(`/api/topics/${topic}`);
      const leaders = detail.partitions.map((p: { leader: number }) => p.leader);
      expect([...leaders].sort()).toEqual([0, 1, 2]);
      const onNode2 = leaders.indexOf(2);
      const res = await fetch(new URL(`/api/topics/${topic}/messages`, cluster.webConsole!.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: 'routed', partition: onNode2 }),
      });
      expect(await res.json()).toEqual({ topic, partition: onNode2, offset: 0 });
      expect((await cluster.records(topic, onNode2)).map((r) => r.value?.toString())).toEqual(['routed']);
    } finally {
      await cluster.close();
    }
  });

  it('answers bad input with a 4xx JSON error and no stack trace', async () => {
    const topic = uniqueTopic('console-bad');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await producer.send({ topic, messages: [{ value: 'x' }] });
    const cases: [string, Promise<Answer>, number, RegExp][] = [
      ['unknown topic', api('/api/topics/no-such-topic'), 404, /unknown topic "no-such-topic"/],
      ['unknown topic (messages)', api('/api/topics/no-such-topic/messages'), 404, /unknown topic/],
      ['offset not a number', api(`/api/topics/${topic}/messages?offset=abc`), 400, /offset must be a whole number/],
      ['offset past the end', api(`/api/topics/${topic}/messages?offset=99`), 400, /offset 99 is out of range/],
      ['no such partition', api(`/api/topics/${topic}/messages?partition=5`), 400, /partition must be a whole number from 0 to 0/],
      ['bad timestamp', api(`/api/topics/${topic}/messages?timestamp=yesterday-ish`), 400, /timestamp must be/],
      ['empty offset', api(`/api/topics/${topic}/messages?offset=`), 400, /offset must be a whole number of at least 0, got ""/],
      ['malformed escape', api('/api/groups/%E0%A4%A'), 400, /malformed URL/],
      ['offset and timestamp', api(`/api/topics/${topic}/messages?offset=0&timestamp=1`), 400, /not both/],
      ['invalid JSON body', post(`/api/topics/${topic}/messages`, '{"value": '), 400, /invalid JSON/],
      ['value not JSON', post(`/api/topics/${topic}/messages?value=json`, '{"value":"{oops"}'), 400, /value is not valid JSON/],
      ['unknown field', post(`/api/topics/${topic}/messages`, '{"valu":"x"}'), 400, /unknown field "valu"/],
      ['partition out of range', post(`/api/topics/${topic}/messages`, '{"value":"x","partition":3}'), 400, /partition 3 does not exist/],
      ['produce to unknown topic', post('/api/topics/nope/messages', '{"value":"x"}'), 404, /unknown topic "nope"/],
      ['not JSON content type', post(`/api/topics/${topic}/messages`, '{"value":"x"}', { 'content-type': 'text/plain' }), 415, /application\/json/],
      ['cross-origin', post(`/api/topics/${topic}/messages`, '{"value":"x"}', { 'content-type': 'application/json', origin: 'http://evil.example' }), 403, /cross-origin/],
      ['unknown group', api('/api/groups/no-such-group'), 404, /unknown group/],
      ['unknown API', api('/api/nothing'), 404, /no such page or API/],
      ['wrong method', api('/api/topics', { method: 'DELETE' }), 405, /not allowed/],
    ];
    for (const [what, answer, status, message] of cases) {
      const a = await answer;
      expect(a.status, what).toBe(status);
      expect(Object.keys(a.body), what).toEqual(['error']);
      expect(a.body.error, what).toMatch(message);
    }
    // The topic holds only the one record: nothing bad was appended.
    expect((await api(`/api/topics/${topic}`)).body.partitions[0].highWatermark).toBe(1);
  });

  it('refuses a record the log refuses, as a Produce request would be', async () => {
    const topic = uniqueTopic('console-limit');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '200' }] }] });
    const a = await post(`/api/topics/${topic}/messages`, JSON.stringify({ value: 'x'.repeat(500) }));
    expect(a.status).toBe(400);
    expect(a.body.error).toMatch(/MESSAGE_TOO_LARGE/);
  });

  it('says the produce form needs a PLAINTEXT listener on a broker that has only TLS', async () => {
    const secure = await startBroker({ tls: true, consolePort: 0 });
    const tlsAdmin = new Kafka({ clientId: 'console-tls', brokers: [secure.bootstrap], ssl: { ca: [secure.tls!.ca] }, logLevel: logLevel.NOTHING }).admin();
    try {
      const topic = uniqueTopic('console-tls');
      await tlsAdmin.connect();
      await tlsAdmin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      const res = await fetch(new URL(`/api/topics/${topic}/messages`, secure.webConsole!.url), {
        method: 'POST',
        body: JSON.stringify({ value: 'v' }),
        headers: { 'content-type': 'application/json', origin: new URL(secure.webConsole!.url).origin },
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toMatch(/PLAINTEXT listener/);
    } finally {
      await tlsAdmin.disconnect();
      await secure.close();
    }
  });

  it('produces from the form and kafkajs reads the record back; the group shows members, assignment and lag', async () => {
    const topic = uniqueTopic('console-group');
    // Any string is a group id: a slash and a space must survive the URL.
    const groupId = `${topic}/billing team`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const produced = await post(`/api/topics/${topic}/messages?value=json`, JSON.stringify({ key: 'k1', value: '{"hello":"world"}', headers: { trace: 'abc' }, partition: 1 }));
    expect(produced.status).toBe(200);
    expect(produced.body).toEqual({ topic, partition: 1, offset: 0 });

    const cond = new Condition();
    const seen: { key: string; value: string; trace: string }[] = [];
    const committed = new Map<number, string>();
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
    consumers.push(consumer);
    consumer.on(consumer.events.COMMIT_OFFSETS, (e) => {
      for (const t of e.payload.topics) for (const p of t.partitions) committed.set(Number(p.partition), p.offset);
      cond.changed();
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ key: message.key!.toString(), value: message.value!.toString(), trace: message.headers!.trace!.toString() });
        cond.changed();
      },
    });
    await cond.until(() => committed.get(1) === '1', 'the group to commit offset 1 of partition 1');
    expect(seen).toEqual([{ key: 'k1', value: '{"hello":"world"}', trace: 'abc' }]);

    const live = await api(`/api/groups/${encodeURIComponent(groupId)}`);
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ groupId, type: 'classic', protocolType: 'consumer', protocol: 'RoundRobinAssigner', state: 'Stable' });
    expect(live.body.members).toHaveLength(1);
    expect(live.body.members[0].assignment).toEqual({ [topic]: [0, 1] });
    expect(live.body.offsets.find((o: { partition: number }) => o.partition === 1)).toMatchObject({ committedOffset: 1, logEndOffset: 1, lag: 0, owner: live.body.members[0].memberId });

    await consumer.disconnect();
    await broker.waitForGroupState(groupId, 'Empty');
    await producer.send({ topic, messages: [{ partition: 1, value: 'a' }, { partition: 1, value: 'b' }, { partition: 1, value: 'c' }] });
    const lagging = await api(`/api/groups/${encodeURIComponent(groupId)}`);
    expect(lagging.body.state).toBe('Empty');
    expect(lagging.body.members).toEqual([]);
    expect(lagging.body.offsets.find((o: { partition: number }) => o.partition === 1)).toMatchObject({ committedOffset: 1, logEndOffset: 4, lag: 3, owner: null });
    expect(lagging.body.totalLag).toBe(3);

    const groups = await api('/api/groups');
    expect(groups.body.find((g: { groupId: string }) => g.groupId === groupId)).toMatchObject({ state: 'Empty', members: 0, type: 'classic', totalLag: 3 });
  });

  it('shows each rebalance of a group with its cause, what moved and the pause', async () => {
    const topic = uniqueTopic('console-rebalance');
    const groupId = `${topic}-g`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const join = async () => {
      const c = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
      consumers.push(c);
      await c.connect();
      await c.subscribe({ topic });
      await c.run({ eachMessage: async () => {} });
      return c;
    };
    await join();
    await broker.waitForGroupState(groupId, 'Stable', { members: 1 });
    await join();
    await broker.waitForGroupState(groupId, 'Stable', { members: 2 });
    const a = await api(`/api/groups/${groupId}/rebalances`);
    expect(a.status).toBe(200);
    const last = a.body.rebalances.at(-1);
    expect(last).toMatchObject({ protocol: 'classic', causes: ['join'], outcome: 'Stable', members: 2, stoppedWholeGroup: true });
    expect(last.to).toBeGreaterThan(last.from);
    expect(last.pausedMs).toBe(last.completedAt - last.startedAt);
    // One of the two partitions went from the first member to the second.
    expect(last.moved).toHaveLength(1);
    expect(last.moved[0]).toMatchObject({ topic });
  });

  it('serves /metrics for Prometheus and request rates and latency per API from the same counters', async () => {
    const topic = uniqueTopic('console-metrics');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    let now = 1_000_000;
    const sampler = new RateSampler(broker.metrics, () => now);
    const before = await sampler.read();
    expect(before.windowSeconds).toBeNull();
    const produceBefore = before.requests.find((r) => r.api === 'Produce')?.count ?? 0;
    for (let i = 0; i < 4; i++) await producer.send({ topic, messages: [{ value: `m${i}` }, { value: `n${i}` }] });
    now += 2_000;
    const after = await sampler.read();
    expect(after.windowSeconds).toBe(2);
    const produce = after.requests.find((r) => r.api === 'Produce')!;
    expect(produce.count - produceBefore).toBe(4);
    expect(produce.perSecond).toBe(2);
    expect(produce.p99Ms).toBeGreaterThanOrEqual(produce.p50Ms);
    expect(after.topics.find((t) => t.topic === topic)).toMatchObject({ messagesIn: 8, messagesInPerSecond: 4 });

    const viaApi = await api('/api/metrics');
    expect(viaApi.status).toBe(200);
    expect(viaApi.body.requests.find((r: { api: string }) => r.api === 'Produce').count).toBeGreaterThanOrEqual(produce.count);
    const scrape = await fetch(new URL('/metrics', base));
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    expect(text).toMatch(new RegExp(`^kafka_server_brokertopicmetrics_messagesin_total\\{topic="${topic}"\\} 8$`, 'm'));
    expect(text).toMatch(/^kafka_network_requestmetrics_requests_total\{request="Produce"[^}]*\} \d+/m);
  });

  it('tells open pages over server-sent events when topics change', async () => {
    const topic = uniqueTopic('console-events');
    let created: Promise<unknown> = Promise.resolve();
    const got = new Promise<string>((resolve, reject) => {
      const req = request(new URL('/api/events', base), (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream');
        let buf = '';
        res.on('data', (chunk: Buffer) => {
          buf += chunk.toString();
          if (buf.includes('"what":"topics"')) {
            req.destroy();
            resolve(buf);
          }
        });
        // Subscribed: now cause the change.
        created = admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      });
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
      req.end();
    });
    expect(await got).toMatch(/event: change\ndata: \{"what":"topics"\}/);
    await created;
  });
});
