// APIs named the way a test names them: Kafka's API name ('Produce', 'JoinGroup')
// or its key.
import { ALL_APIS } from '../../protocol/messages/index.js';

export type ApiRef = string | number;

const BY_NAME = new Map(ALL_APIS.map((a) => [a.name, a.apiKey]));

export function apiKeyOf(api: ApiRef): number {
  if (typeof api === 'number') {
    if (ALL_APIS[api]?.apiKey !== api) throw new Error(`no Kafka API has key ${api}`);
    return api;
  }
  const key = BY_NAME.get(api);
  if (key === undefined) throw new Error(`no Kafka API is named ${api} (names as in Kafka: Produce, Fetch, JoinGroup, ...)`);
  return key;
}

export function apiNameOf(key: number): string {
  return ALL_APIS[key]?.name ?? `API ${key}`;
}
