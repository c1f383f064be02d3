import { useApi } from '../api.js';
import { bytes, num } from '../format.js';
import { ErrorBox, Loading, Section } from './common.js';

interface Rates {
  windowSeconds: number | null;
  requests: { api: string; count: number; perSecond: number | null; meanMs: number; p50Ms: number; p99Ms: number; bytesInPerSecond: number | null; bytesOutPerSecond: number | null }[];
  topics: { topic: string; messagesIn: number; messagesInPerSecond: number | null; bytesInPerSecond: number | null; bytesOutPerSecond: number | null }[];
  rebalances: { classic: number; consumer: number; pause: Record<'classic' | 'consumer', { count: number; sumSeconds: number }> };
}

const rate = (n: number | null): string => (n === null ? '—' : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));
const ms = (n: number): string => (n < 10 ? n.toFixed(2) : Math.round(n).toLocaleString('en-US'));
const perSec = (n: number | null): string => (n === null ? '—' : `${bytes(Math.round(n))}/s`);

export function MetricsPage() {
  const { data, error } = useApi<Rates>('/api/metrics');
  return (
    <>
      <h1>Metrics</h1>
      <ErrorBox error={error} />
      {data === undefined ? (
        <Loading />
      ) : (
        <>
          <p class="muted">
            Rates over the last {data.windowSeconds === null ? '— (measuring…)' : `${data.windowSeconds.toFixed(1)} s`}; latencies from the request histograms
            since the broker started. Prometheus reads the same counters at <a href="/metrics">/metrics</a>.
          </p>
          <Section title="Requests per API" testid="request-metrics">
            <table>
              <thead>
                <tr>
                  <th>API</th>
                  <th class="n">Requests</th>
                  <th class="n">Per second</th>
                  <th class="n">Mean ms</th>
                  <th class="n">p50 ms</th>
                  <th class="n">p99 ms</th>
                  <th class="n">In</th>
                  <th class="n">Out</th>
                </tr>
              </thead>
              <tbody>
                {data.requests.map((r) => (
                  <tr data-api={r.api}>
                    <td>{r.api}</td>
                    <td class="n">{num(r.count)}</td>
                    <td class="n">{rate(r.perSecond)}</td>
                    <td class="n">{ms(r.meanMs)}</td>
                    <td class="n">{ms(r.p50Ms)}</td>
                    <td class="n">{ms(r.p99Ms)}</td>
                    <td class="n">{perSec(r.bytesInPerSecond)}</td>
                    <td class="n">{perSec(r.bytesOutPerSecond)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
          <Section title="Topics" testid="topic-metrics">
            <table>
              <thead>
                <tr>
                  <th>Topic</th>
                  <th class="n">Messages in</th>
                  <th class="n">Messages/s</th>
                  <th class="n">Bytes in</th>
                  <th class="n">Bytes out</th>
                </tr>
              </thead>
              <tbody>
                {data.topics.map((t) => (
                  <tr>
                    <td>{t.topic}</td>
                    <td class="n">{num(t.messagesIn)}</td>
                    <td class="n">{rate(t.messagesInPerSecond)}</td>
                    <td class="n">{perSec(t.bytesInPerSecond)}</td>
                    <td class="n">{perSec(t.bytesOutPerSecond)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
          <Section title="Rebalances">
            <p>
              Classic: {data.rebalances.classic} ({data.rebalances.pause.classic.sumSeconds.toFixed(2)} s paused in all) · consumer protocol (KIP-848):{' '}
              {data.rebalances.consumer} ({data.rebalances.pause.consumer.sumSeconds.toFixed(2)} s)
            </p>
          </Section>
        </>
      )}
    </>
  );
}
