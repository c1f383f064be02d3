// Kafka's JAAS configuration text, as `listener.name.<l>.<mechanism>.sasl.jaas.config`
// gives it: `<LoginModuleClass> <flag> key=value ... ;` (Kafka's JaasConfig parser:
// `//` and `/* */` comments, values quoted with " or ', or a bare word starting with a
// letter). Only one module per setting, as Kafka requires of the property form.

export interface JaasEntry {
  readonly loginModule: string;
  readonly flag: string;
  readonly options: ReadonlyMap<string, string>;
}

const FLAGS = ['required', 'requisite', 'sufficient', 'optional'];

/** Tokens: words, quoted strings, `=` and `;`, with comments dropped. */
function tokens(text: string): { kind: 'word' | 'quoted' | '=' | ';'; value: string }[] {
  const out: { kind: 'word' | 'quoted' | '=' | ';'; value: string }[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) i++;
    else if (text.startsWith('//', i)) i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new Error('Unterminated comment in JAAS config');
      i = end + 2;
    } else if (c === '=' || c === ';') {
      out.push({ kind: c, value: c });
      i++;
    } else if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new Error('Unterminated quoted value in JAAS config');
      out.push({ kind: 'quoted', value: text.slice(i + 1, end) });
      i = end + 1;
    } else {
      const m = /^[^\s=;"']+/.exec(text.slice(i))!;
      out.push({ kind: 'word', value: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

/** Parses the text; throws with Kafka's wording where it has one. */
export function parseJaasConfig(text: string): JaasEntry {
  const t = tokens(text);
  const entries: JaasEntry[] = [];
  let i = 0;
  while (i < t.length) {
    const module = t[i++];
    if (module?.kind !== 'word') throw new Error('Login module not specified in JAAS config');
    const flag = t[i++];
    if (flag?.kind !== 'word' || !FLAGS.includes(flag.value.toLowerCase())) {
      throw new Error(`Invalid login module control flag '${flag?.value ?? ''}' in JAAS config`);
    }
    const options = new Map<string, string>();
    while (t[i] !== undefined && t[i]!.kind !== ';') {
      const key = t[i++]!;
      if (key.kind !== 'word' || t[i]?.kind !== '=') throw new Error(`Invalid JAAS config option near '${key.value}'`);
      i++;
      const value = t[i++];
      if (value === undefined || (value.kind === 'word' && !/^[A-Za-z]/.test(value.value)) || (value.kind !== 'word' && value.kind !== 'quoted')) {
        throw new Error(`Value not specified for key '${key.value}' in JAAS config`);
      }
      options.set(key.value, value.value);
    }
    if (t[i]?.kind !== ';') throw new Error('JAAS config entry not terminated by semi-colon');
    i++;
    entries.push({ loginModule: module.value, flag: flag.value.toLowerCase(), options });
  }
  if (entries.length !== 1) throw new Error(`JAAS config property contains ${entries.length} login modules, should be 1 module`);
  return entries[0]!;
}
