import { useState } from 'preact/hooks';
import { useApi } from '../api.js';
import { bytes, num } from '../format.js';
import { ErrorBox, Loading } from './common.js';

interface TopicRow {
  name: string;
  internal: boolean;
  partitions: number;
  records: number;
  sizeBytes: number;
}

export function TopicsPage() {
  const { data, error } = useApi<TopicRow[]>('/api/topics');
  const [internal, setInternal] = useState(false);
  const rows = data?.filter((t) => internal || !t.internal);
  return (
    <>
      <h1>Topics</h1>
      <ErrorBox error={error} />
      <label class="inline">
        <input type="checkbox" checked={internal} onChange={(e) => setInternal(e.currentTarget.checked)} /> show internal topics
      </label>
      {rows === undefined ? (
        <Loading />
      ) : rows.length === 0 ? (
        <p class="muted">No topics yet. Create one with any Kafka client or `kafkalite topics create NAME`.</p>
      ) : (
        <table data-testid="topics">
          <thead>
            <tr>
              <th>Topic</th>
              <th class="n">Partitions</th>
              <th class="n">Records</th>
              <th class="n">Size</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((t) => (
              <tr data-topic={t.name}>
                <td>
                  <a href={`#/topics/${encodeURIComponent(t.name)}`}>{t.name}</a>
                  {t.internal && <span class="tag">internal</span>}
                </td>
                <td class="n">{t.partitions}</td>
                <td class="n">{num(t.records)}</td>
                <td class="n">{bytes(t.sizeBytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
