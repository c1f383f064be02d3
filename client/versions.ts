// API version negotiation: the highest version both this client's codecs and
// the broker (its ApiVersions answer) support, never below what the caller needs.
import type { ApiCodec } from '../protocol/codec-runtime.js';
import { UnsupportedApiError } from './errors.js';

export interface VersionRange {
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** Broker ranges by API key, from an ApiVersions answer. */
export type BrokerVersions = ReadonlyMap<number, VersionRange>;

/**
 * The version to use for `api`, at least `floor` (the oldest version whose
 * fields the caller relies on). Throws UnsupportedApiError when the broker does
 * not serve the API or the ranges do not meet.
 */
export function pickVersion(api: ApiCodec<unknown, unknown>, broker: BrokerVersions, floor = api.minVersion): number {
  const theirs = broker.get(api.apiKey);
  if (theirs === undefined) throw new UnsupportedApiError(api.name, api.apiKey, 'the broker does not serve this API');
  const low = Math.max(floor, api.minVersion, theirs.minVersion);
  const high = Math.min(api.maxVersion, theirs.maxVersion);
  if (high < low) {
    throw new UnsupportedApiError(
      api.name,
      api.apiKey,
      `the broker serves versions ${theirs.minVersion}-${theirs.maxVersion}, this client needs ${Math.max(floor, api.minVersion)}-${api.maxVersion}`,
    );
  }
  return high;
}
