import { useApi } from '../api.js';
import { duration, num, time } from '../format.js';
import { ErrorBox, Loading, Section } from './common.js';

interface Group {
  groupId: string;
  type: 'classic' | 'consumer';
  protocolType: string;
  protocol: string | null;
  state: string;
  generation: number;
  members: { memberId: string; instanceId: string | null; clientId: string; clientHost: string; assignment: Record<string, number[]> }[];
  offsets: { topic: string; partition: number; committedOffset: number | null; logEndOffset: number | null; lag: number | null; owner: string | null }[];
  totalLag: number;
}

interface Rebalance {
  protocol: 'classic' | 'consumer';
  causes: string[];
  from: number;
  to: number;
  outcome: string;
  members: number;
  startedAt: number;
  completedAt: number;
  pausedMs: number;
  stoppedWholeGroup: boolean;
  moved: { topic: string; partition: number; from: string | null; to: string | null; pausedMs?: number }[];
}

const short = (memberId: string | null): string => (memberId === null ? 'nobody' : memberId.length > 24 ? `${memberId.slice(0, 21)}…` : memberId);

export function GroupPage({ groupId }: { groupId: string }) {
  const path = `/api/groups/${encodeURIComponent(groupId)}`;
  const { data, error } = useApi<Group>(path);
  const history = useApi<{ rebalances: Rebalance[] }>(`${path}/rebalances`);
  return (
    <>
      <h1>
        <a href="#/groups">Consumer groups</a> / {groupId}
      </h1>
      <ErrorBox error={error} />
      {data === undefined ? (
        error === undefined && <Loading />
      ) : (
        <>
          <p class="facts" data-testid="group-facts">
            <span class={`state ${data.state}`}>{data.state}</span>
            <span>{data.type === 'consumer' ? 'consumer protocol (KIP-848)' : 'classic protocol'}</span>
            <span>
              {data.type === 'consumer' ? 'assignor' : 'assignment strategy'} <b>{data.protocol ?? '—'}</b>
            </span>
            <span>
              {data.type === 'consumer' ? 'group epoch' : 'generation'} <b>{data.generation}</b>
            </span>
            <span>
              total lag <b data-testid="total-lag">{num(data.totalLag)}</b>
            </span>
          </p>
          <Section title={`Members (${data.members.length})`} testid="members">
            {data.members.length === 0 ? (
              <p class="muted">No members: nothing consumes for this group now.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>Member</th>
                    <th>Client</th>
                    <th>Host</th>
                    <th>Assigned partitions</th>
                  </tr>
                </thead>
                <tbody>
                  {data.members.map((m) => (
                    <tr>
                      <td>
                        <code title={m.memberId}>{short(m.memberId)}</code>
                        {m.instanceId && <span class="tag">static: {m.instanceId}</span>}
                      </td>
                      <td>{m.clientId}</td>
                      <td>{m.clientHost}</td>
                      <td>
                        {Object.entries(m.assignment).map(([t, ps]) => (
                          <div>
                            {t}: {ps.join(', ')}
                          </div>
                        ))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section title="Offsets and lag" testid="lag">
            {data.offsets.length === 0 ? (
              <p class="muted">No committed offsets and no assigned partitions.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>Topic</th>
                    <th class="n">Partition</th>
                    <th class="n">Committed</th>
                    <th class="n">End offset</th>
                    <th class="n">Lag</th>
                    <th>Owner</th>
                  </tr>
                </thead>
                <tbody>
                  {data.offsets.map((o) => (
                    <tr data-partition={`${o.topic}:${o.partition}`}>
                      <td>{o.topic}</td>
                      <td class="n">{o.partition}</td>
                      <td class="n">{num(o.committedOffset)}</td>
                      <td class="n">{num(o.logEndOffset)}</td>
                      <td class={`n lag ${o.lag ? 'behind' : ''}`}>{num(o.lag)}</td>
                      <td>
                        <code title={o.owner ?? ''}>{short(o.owner)}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Timeline rebalances={history.data?.rebalances} error={history.error} />
        </>
      )}
    </>
  );
}

function Timeline({ rebalances, error }: { rebalances: Rebalance[] | undefined; error: string | undefined }) {
  if (rebalances === undefined) return <ErrorBox error={error} />;
  const longest = Math.max(1, ...rebalances.map((r) => r.pausedMs));
  const total = rebalances.reduce((n, r) => n + r.pausedMs, 0);
  return (
    <Section title={`Rebalances (${rebalances.length})`} testid="rebalances">
      {rebalances.length === 0 ? (
        <p class="muted">No rebalance recorded since the broker started.</p>
      ) : (
        <>
          <p class="muted">
            {rebalances[0].stoppedWholeGroup
              ? 'Classic protocol: during each rebalance the whole group stops consuming.'
              : 'Consumer protocol: only the partitions that move stop, each until its new owner takes it.'}{' '}
            Paused {duration(total)} in all.
          </p>
          <ol class="timeline">
            {[...rebalances].reverse().map((r) => (
              <li data-testid="rebalance">
                <div class="when">{time(r.startedAt)}</div>
                <div class="what">
                  <b>{r.causes.length ? r.causes.join(', ') : 'unknown cause'}</b> · {r.protocol === 'consumer' ? 'epoch' : 'generation'} {r.from} → {r.to} · {r.members} member
                  {r.members === 1 ? '' : 's'} · {r.outcome}
                </div>
                <div class="pause">
                  <span class="bar" style={{ width: `${Math.max(2, (r.pausedMs / longest) * 100)}%` }} />
                  <span class="ms">
                    {r.stoppedWholeGroup ? 'group paused' : 'longest partition pause'} {duration(r.pausedMs)}
                  </span>
                </div>
                {r.moved.length > 0 && (
                  <div class="moved">
                    moved:{' '}
                    {r.moved.map((m) => (
                      <span class="tag">
                        {m.topic}-{m.partition} {short(m.from)} → {short(m.to)}
                        {m.pausedMs !== undefined ? ` (${duration(m.pausedMs)})` : ''}
                      </span>
                    ))}
                  </div>
                )}
              </li>
            ))}
          </ol>
        </>
      )}
    </Section>
  );
}
