import { useApi } from '../api.js';
import { ErrorBox, Loading } from './common.js';

interface Nodes {
  clusterId: string;
  controllerId: number;
  nodes: { nodeId: number; live: boolean; rack: string | null; partitionsLed: number; endpoints: { listener: string; host: string; port: number }[] }[];
}

export function NodesPage() {
  const { data, error } = useApi<Nodes>('/api/nodes');
  return (
    <>
      <h1>Brokers</h1>
      <ErrorBox error={error} />
      {data === undefined ? (
        <Loading />
      ) : (
        <>
          <p>
            Cluster id <code>{data.clusterId}</code>, controller node {data.controllerId}.
          </p>
          <table data-testid="nodes">
            <thead>
              <tr>
                <th>Node</th>
                <th>State</th>
                <th>Listeners (advertised)</th>
                <th>Rack</th>
                <th class="n">Partitions led</th>
              </tr>
            </thead>
            <tbody>
              {data.nodes.map((n) => (
                <tr>
                  <td>{n.nodeId}</td>
                  <td>{n.live ? <span class="ok">live</span> : <span class="bad">stopped</span>}</td>
                  <td>
                    {n.endpoints.map((e) => (
                      <div>
                        <code>
                          {e.listener}://{e.host}:{e.port}
                        </code>
                      </div>
                    ))}
                  </td>
                  <td>{n.rack ?? '—'}</td>
                  <td class="n">{n.partitionsLed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
