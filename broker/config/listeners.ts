// Listener lists (`NAME://host:port,...`) and listener.security.protocol.map.

import { ConfigError } from './values.js';

const LISTENER_RE = /^([A-Za-z0-9_.-]+):\/\/(\[[0-9A-Za-z:.%]*\]|[^\s:/[\]]*):(\d+)$/;

export interface Listener {
  /** Listener name, upper-cased as Kafka normalises it (PLAINTEXT). */
  readonly name: string;
  /** Host as written, without IPv6 brackets; '' means every interface. */
  readonly host: string;
  /** 0 means "any free port": the broker substitutes the port it bound. */
  readonly port: number;
  readonly securityProtocol: string;
}

/** Parses `NAME://host:port,...` (no security protocol resolution). */
export function parseListenerList(value: string): { name: string; host: string; port: number }[] {
  const out: { name: string; host: string; port: number }[] = [];
  const seen = new Set<string>();
  for (const part of value.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = LISTENER_RE.exec(part);
    if (!m) throw new Error(`Listener "${part}" is not of the form NAME://host:port`);
    const name = m[1]!.toUpperCase();
    let host = m[2]!;
    if (host.startsWith('[')) host = host.slice(1, -1);
    const port = Number(m[3]);
    if (port > 65535) throw new Error(`Listener "${part}" has port ${port}; ports are 0 to 65535`);
    if (seen.has(name)) throw new Error(`Each listener must have a different name; ${name} appears twice`);
    seen.add(name);
    out.push({ name, host, port });
  }
  return out;
}

/** Listeners with their security protocols (from listener.security.protocol.map). `key` names the setting in errors. */
export function resolveListenerList(key: string, text: string, protocols: ReadonlyMap<string, string>): Listener[] {
  return parseListenerList(text).map((l) => {
    const securityProtocol = protocols.get(l.name);
    if (securityProtocol === undefined) {
      throw new ConfigError(key, `No security protocol defined for listener ${l.name} (see listener.security.protocol.map)`);
    }
    return { ...l, securityProtocol };
  });
}

/** Parses `NAME:PROTOCOL,...` into a map. */
export function parseProtocolMap(value: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of value.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^([A-Za-z0-9_.-]+):([A-Za-z_]+)$/.exec(part);
    if (!m) throw new Error(`"${part}" is not of the form NAME:PROTOCOL`);
    const protocol = m[2]!.toUpperCase();
    if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) {
      throw new Error(`Unknown security protocol ${m[2]} for listener ${m[1]}`);
    }
    map.set(m[1]!.toUpperCase(), protocol);
  }
  return map;
}

/** Formats listeners back into Kafka's `NAME://host:port,...` form. */
export function formatListeners(listeners: readonly { name: string; host: string; port: number }[]): string {
  return listeners
    .map((l) => `${l.name}://${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`)
    .join(',');
}
