// A strict reader of Prometheus's text exposition format (0.0.4) for tests: any
// line it cannot read, or a sample without a # TYPE for its family, is an error.

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', ''];

/** As Prometheus reads a value (Go's ParseFloat): Inf and NaN in any case (prom-client writes "Nan"). */
function number(text: string): number {
  if (/^[+-]?inf(inity)?$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  const n = Number(text);
  if (Number.isNaN(n)) throw new Error(`not a sample value: ${text}`);
  return n;
}

function labels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m) throw new Error(`bad labels: {${text}}`);
    out[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return out;
}

export function parsePromText(text: string): PromSample[] {
  const types = new Map<string, string>();
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      types.set(name, type);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const name = m[1];
    if (!SUFFIXES.some((s) => name.endsWith(s) && types.has(name.slice(0, name.length - s.length)))) throw new Error(`no # TYPE for ${name}`);
    samples.push({ name, labels: labels(m[2]), value: number(m[3]) });
  }
  return samples;
}

/** Samples of `name` whose labels include `match`. */
export function select(samples: readonly PromSample[], name: string, match: Record<string, string | number> = {}): PromSample[] {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === String(v)));
}

/** The one sample of `name` matching `match`; throws when there is none or several. */
export function sample(samples: readonly PromSample[], name: string, match: Record<string, string | number> = {}): number {
  const found = select(samples, name, match);
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(match)}`);
  return found[0].value;
}

/** The sum of every sample of `name` matching `match` (0 when there is none). */
export function total(samples: readonly PromSample[], name: string, match: Record<string, string | number> = {}): number {
  return select(samples, name, match).reduce((a, s) => a + s.value, 0);
}
