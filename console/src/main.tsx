// The kafkalite web console: one page, hash routes (#/topics/NAME, #/groups/ID),
// every view read from the broker's JSON API and refreshed on its events.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { TopicsPage } from './pages/topics.js';
import { TopicPage } from './pages/topic.js';
import { GroupsPage } from './pages/groups.js';
import { GroupPage } from './pages/group.js';
import { NodesPage } from './pages/nodes.js';
import { MetricsPage } from './pages/metrics.js';

function useRoute(): string[] {
  const parse = () => (location.hash.replace(/^#\/?/, '') || 'topics').split('/').map(decodeURIComponent);
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const on = () => setRoute(parse());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

const SECTIONS = [
  ['topics', 'Topics'],
  ['groups', 'Consumer groups'],
  ['brokers', 'Brokers'],
  ['metrics', 'Metrics'],
] as const;

function App() {
  const [section, id] = useRoute();
  let page;
  if (section === 'topics') page = id === undefined ? <TopicsPage /> : <TopicPage name={id} />;
  else if (section === 'groups') page = id === undefined ? <GroupsPage /> : <GroupPage groupId={id} />;
  else if (section === 'brokers') page = <NodesPage />;
  else if (section === 'metrics') page = <MetricsPage />;
  else page = <p class="error">No such page: {location.hash}</p>;
  return (
    <>
      <header>
        <a class="brand" href="#/topics">
          kafkalite
        </a>
        <nav>
          {SECTIONS.map(([key, label]) => (
            <a href={`#/${key}`} class={section === key ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
      </header>
      <main>{page}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
