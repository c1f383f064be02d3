// APIs named the way a test names them: Kafka's API name ('Produce', 'JoinGroup')
// or its key.
import { API_NAMES } from '../../protocol/messages/api-names.js';

export type ApiRef = string | number;

const BY_NAME = new Map(API_NAMES.map((name, key) => [name, key]));

export function apiKeyOf(api: ApiRef): number {
  if (typeof api === 'number') {
    if (API_NAMES[api] === undefined) throw new Error(`no Kafka API has key ${api}`);
    return api;
  }
  const key = BY_NAME.get(api);
  if (key === undefined) throw new Error(`no Kafka API is named ${api} (names as in Kafka: Produce, Fetch, JoinGroup, ...)`);
  return key;
}

export function apiNameOf(key: number): string {
  return API_NAMES[key] ?? `API ${key}`;
}
