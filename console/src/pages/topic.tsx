import { useEffect, useState } from 'preact/hooks';
import { get, onChange, post, useApi } from '../api.js';
import { bytes, num, time } from '../format.js';
import { ErrorBox, Loading, Section } from './common.js';

interface Topic {
  name: string;
  id: string;
  internal: boolean;
  partitions: { partition: number; leader: number; leaderEpoch: number; logStartOffset: number; highWatermark: number; sizeBytes: number }[];
  configOverrides: Record<string, string>;
  effective: Record<string, string | number>;
}

interface Shown {
  kind: 'null' | 'json' | 'text' | 'binary';
  text: string;
  bytes: number;
  truncated: boolean;
}

interface Page {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  from: number;
  records: { offset: number; timestamp: number; key: Shown; value: Shown; headers: { key: string; value: Shown }[] }[];
}

export function TopicPage({ name }: { name: string }) {
  const { data, error } = useApi<Topic>(`/api/topics/${encodeURIComponent(name)}`);
  return (
    <>
      <h1>
        <a href="#/topics">Topics</a> / {name}
      </h1>
      <ErrorBox error={error} />
      {data === undefined ? (
        error === undefined && <Loading />
      ) : (
        <>
          <Section title="Partitions" testid="partitions">
            <table>
              <thead>
                <tr>
                  <th class="n">Partition</th>
                  <th class="n">Leader</th>
                  <th class="n">Leader epoch</th>
                  <th class="n">Start offset</th>
                  <th class="n">End offset</th>
                  <th class="n">Records</th>
                  <th class="n">Size</th>
                </tr>
              </thead>
              <tbody>
                {data.partitions.map((p) => (
                  <tr>
                    <td class="n">{p.partition}</td>
                    <td class="n">{p.leader < 0 ? 'none' : p.leader}</td>
                    <td class="n">{p.leaderEpoch}</td>
                    <td class="n">{num(p.logStartOffset)}</td>
                    <td class="n">{num(p.highWatermark)}</td>
                    <td class="n">{num(p.highWatermark - p.logStartOffset)}</td>
                    <td class="n">{bytes(p.sizeBytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
          <Messages topic={data} />
          <Produce topic={data} />
          <Section title="Configs" testid="configs">
            <table class="configs">
              <tbody>
                {Object.entries(data.effective).map(([k, v]) => (
                  <tr>
                    <td>
                      <code>{k}</code>
                    </td>
                    <td>{String(v)}</td>
                    <td class="muted">{k in data.configOverrides ? 'set on the topic' : 'broker default'}</td>
                  </tr>
                ))}
                {Object.entries(data.configOverrides)
                  .filter(([k]) => !(k in data.effective))
                  .map(([k, v]) => (
                    <tr>
                      <td>
                        <code>{k}</code>
                      </td>
                      <td>{v}</td>
                      <td class="muted">set on the topic</td>
                    </tr>
                  ))}
              </tbody>
            </table>
            <p class="muted">
              Topic id <code>{data.id}</code>
            </p>
          </Section>
        </>
      )}
    </>
  );
}

function Value({ v }: { v: Shown }) {
  if (v.kind === 'null') return <span class="muted">null</span>;
  return (
    <pre class={`value ${v.kind}`} title={`${v.kind}, ${v.bytes} bytes`}>
      {v.text}
      {v.truncated && <span class="muted"> … ({bytes(v.bytes)} in all)</span>}
    </pre>
  );
}

function Messages({ topic }: { topic: Topic }) {
  const [partition, setPartition] = useState(0);
  const [mode, setMode] = useState<'latest' | 'offset' | 'timestamp'>('latest');
  const [at, setAt] = useState('');
  const [limit, setLimit] = useState('50');
  const [page, setPage] = useState<Page | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const load = async (e?: Event) => {
    e?.preventDefault();
    const q = new URLSearchParams({ partition: String(partition), limit });
    if (mode === 'offset') q.set('offset', at);
    if (mode === 'timestamp') q.set('timestamp', at.trim());
    try {
      setPage(await get<Page>(`/api/topics/${encodeURIComponent(topic.name)}/messages?${q}`));
      setError(undefined);
    } catch (err) {
      setError((err as Error).message);
      setPage(undefined);
    }
  };
  // "The latest" follows the partition: read again whenever the broker ticks.
  const shown = page !== undefined;
  useEffect(() => (mode === 'latest' && shown ? onChange(() => void load()) : undefined), [mode, partition, limit, shown]);
  return (
    <Section title="Messages" testid="messages">
      <form class="row" onSubmit={load}>
        <label>
          Partition{' '}
          <select value={partition} onChange={(e) => setPartition(Number(e.currentTarget.value))} name="partition">
            {topic.partitions.map((p) => (
              <option value={p.partition}>{p.partition}</option>
            ))}
          </select>
        </label>
        <label>
          From{' '}
          <select value={mode} onChange={(e) => setMode(e.currentTarget.value as typeof mode)} name="mode">
            <option value="latest">the latest</option>
            <option value="offset">offset</option>
            <option value="timestamp">timestamp</option>
          </select>
        </label>
        {mode !== 'latest' && (
          <input name="at" value={at} onInput={(e) => setAt(e.currentTarget.value)} placeholder={mode === 'offset' ? 'offset, e.g. 0' : 'epoch ms or 2026-12-03T10:00:00Z'} />
        )}
        <label>
          Max{' '}
          <input class="short" name="limit" value={limit} onInput={(e) => setLimit(e.currentTarget.value)} />
        </label>
        <button type="submit">Show messages</button>
      </form>
      <ErrorBox error={error} />
      {page !== undefined &&
        (page.records.length === 0 ? (
          <p class="muted" data-testid="no-records">
            No records from offset {page.from} (partition {page.partition} holds offsets {page.logStartOffset} to {page.highWatermark - 1}).
          </p>
        ) : (
          <table data-testid="records">
            <thead>
              <tr>
                <th class="n">Offset</th>
                <th>Timestamp</th>
                <th>Key</th>
                <th>Value</th>
                <th>Headers</th>
              </tr>
            </thead>
            <tbody>
              {page.records.map((r) => (
                <tr data-offset={r.offset}>
                  <td class="n">{r.offset}</td>
                  <td class="nowrap">{time(r.timestamp)}</td>
                  <td>
                    <Value v={r.key} />
                  </td>
                  <td>
                    <Value v={r.value} />
                  </td>
                  <td>
                    {r.headers.map((h) => (
                      <div class="header-row">
                        <code>{h.key}</code>: <Value v={h.value} />
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </Section>
  );
}

function Produce({ topic }: { topic: Topic }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [headers, setHeaders] = useState('');
  const [partition, setPartition] = useState('');
  const [json, setJson] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    const record: Record<string, unknown> = { key: key === '' ? null : key, value };
    if (headers.trim() !== '') {
      try {
        record.headers = JSON.parse(headers);
      } catch (err) {
        setResult({ ok: false, text: `Headers are not valid JSON: ${(err as Error).message}. Write them as {"name": "value"}.` });
        return;
      }
    }
    if (partition.trim() !== '') record.partition = /^\d+$/.test(partition.trim()) ? Number(partition) : partition;
    try {
      const r = await post<{ partition: number; offset: number }>(`/api/topics/${encodeURIComponent(topic.name)}/messages${json ? '?value=json' : ''}`, record);
      setResult({ ok: true, text: `Produced to partition ${r.partition} at offset ${r.offset}.` });
    } catch (err) {
      setResult({ ok: false, text: (err as Error).message });
    }
  };
  return (
    <Section title="Produce a record" testid="produce">
      <form class="produce" onSubmit={submit}>
        <label>
          Key <input name="key" value={key} onInput={(e) => setKey(e.currentTarget.value)} placeholder="empty: no key" />
        </label>
        <label>
          Partition <input class="short" name="partition" value={partition} onInput={(e) => setPartition(e.currentTarget.value)} placeholder="by key" />
        </label>
        <label class="wide">
          Value <textarea name="value" rows={4} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        </label>
        <label class="inline">
          <input type="checkbox" name="json" checked={json} onChange={(e) => setJson(e.currentTarget.checked)} /> the value must be valid JSON
        </label>
        <label class="wide">
          Headers <input name="headers" value={headers} onInput={(e) => setHeaders(e.currentTarget.value)} placeholder='{"name": "value"}' />
        </label>
        <button type="submit">Produce</button>
      </form>
      {result && (
        <p class={result.ok ? 'success' : 'error'} role={result.ok ? 'status' : 'alert'} data-testid="produce-result">
          {result.text}
        </p>
      )}
    </Section>
  );
}
