import { useApi } from '../api.js';
import { num } from '../format.js';
import { ErrorBox, Loading } from './common.js';

interface GroupRow {
  groupId: string;
  type: 'classic' | 'consumer';
  protocolType: string;
  state: string;
  members: number;
  rebalances: number;
  totalLag: number | null;
}

export function GroupsPage() {
  const { data, error } = useApi<GroupRow[]>('/api/groups');
  return (
    <>
      <h1>Consumer groups</h1>
      <ErrorBox error={error} />
      {data === undefined ? (
        <Loading />
      ) : data.length === 0 ? (
        <p class="muted">No groups yet: they appear when a consumer joins one.</p>
      ) : (
        <table data-testid="groups">
          <thead>
            <tr>
              <th>Group</th>
              <th>Protocol</th>
              <th>State</th>
              <th class="n">Members</th>
              <th class="n">Lag</th>
              <th class="n">Rebalances</th>
            </tr>
          </thead>
          <tbody>
            {data.map((g) => (
              <tr data-group={g.groupId}>
                <td>
                  <a href={`#/groups/${encodeURIComponent(g.groupId)}`}>{g.groupId}</a>
                </td>
                <td>{g.type === 'consumer' ? 'consumer (KIP-848)' : `classic${g.protocolType ? ` (${g.protocolType})` : ''}`}</td>
                <td>
                  <span class={`state ${g.state}`}>{g.state}</span>
                </td>
                <td class="n">{g.members}</td>
                <td class="n">{num(g.totalLag)}</td>
                <td class="n">{g.rebalances}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
