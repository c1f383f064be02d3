// Builds the text of every generated file, keyed by path relative to protocol/messages/.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSpecDir, type MessageSpec } from './spec.js';
import { MessageEmitter, GENERATED_HEADER, RUNTIME_IMPORTS, fmtRange } from './emit.js';

export function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();
}

function body(spec: MessageSpec): string {
  return new MessageEmitter(spec).emit();
}

function codecConst(spec: MessageSpec): string {
  return `export const ${spec.name}Codec: MessageCodec<${spec.name}> = {
  name: '${spec.name}',
  read: read${spec.name},
  write: write${spec.name},
};
`;
}

function dataFile(spec: MessageSpec, rel: string): string {
  return `${GENERATED_HEADER}${RUNTIME_IMPORTS(rel)}import type { MessageCodec } from '${rel}codec-runtime.js';

/** ${spec.name}: versions ${fmtRange(spec.validVersions)}, flexible ${fmtRange(spec.flexibleVersions)}. */
export const ${spec.name}Versions = { min: ${spec.validVersions.min}, max: ${spec.validVersions.max} } as const;

${body(spec)}
${codecConst(spec)}`;
}

interface ApiPair {
  key: number;
  name: string;
  request: MessageSpec;
  response: MessageSpec;
}

function apiFile(api: ApiPair): string {
  const { request, response } = api;
  const v = request.validVersions;
  if (v.min !== response.validVersions.min || v.max !== response.validVersions.max) {
    throw new Error(`${api.name}: request and response versions differ`);
  }
  const flexMin = request.flexibleVersions.max < request.flexibleVersions.min ? -1 : request.flexibleVersions.min;
  return `${GENERATED_HEADER}${RUNTIME_IMPORTS('../')}import type { ApiCodec, MessageCodec } from '../codec-runtime.js';

${body(request)}
${body(response)}
${codecConst(request)}
${codecConst(response)}
/** ${api.name} (key ${api.key}): versions ${fmtRange(v)}, flexible ${fmtRange(request.flexibleVersions)}${request.deprecatedVersions ? `, deprecated ${fmtRange(request.deprecatedVersions)}` : ''}. */
export const ${api.name}Api: ApiCodec<${request.name}, ${response.name}> = {
  apiKey: ${api.key},
  name: '${api.name}',
  minVersion: ${v.min},
  maxVersion: ${v.max},
  firstFlexibleVersion: ${flexMin},
  request: ${request.name}Codec,
  response: ${response.name}Codec,
};
`;
}

export function generate(specDir: string): Map<string, string> {
  const specs = readSpecDir(specDir);
  if (specs.length === 0) throw new Error(`no message specs in ${specDir}`);
  const files = new Map<string, string>();
  const byKey = new Map<number, Partial<ApiPair>>();
  const dataSpecs: MessageSpec[] = [];
  for (const s of specs) {
    if (s.type === 'request' || s.type === 'response') {
      const key = s.apiKey as number;
      const pair = byKey.get(key) ?? { key };
      pair[s.type] = s;
      if (s.type === 'request') pair.name = s.name.replace(/Request$/, '');
      byKey.set(key, pair);
    } else if (s.type === 'header') {
      dataSpecs.push(s);
    } else {
      dataSpecs.push(s);
    }
  }
  const apis = [...byKey.values()].sort((a, b) => (a.key as number) - (b.key as number)) as ApiPair[];
  const index: string[] = [GENERATED_HEADER, `import type { ApiCodec } from '../codec-runtime.js';`];
  const tableRows: string[] = [];
  const nameRows: string[] = [];
  for (const api of apis) {
    if (!api.request || !api.response) throw new Error(`API key ${api.key} lacks a request or a response`);
    const file = `${String(api.key).padStart(2, '0')}-${kebab(api.name)}`;
    files.set(`${file}.ts`, apiFile(api));
    index.push(`import { ${api.name}Api } from './${file}.js';`);
    index.push(`export * from './${file}.js';`);
    tableRows.push(`  ${api.name}Api,`);
    nameRows.push(`  '${api.name}',`);
  }
  for (const s of dataSpecs) {
    const file = `data/${kebab(s.name)}`;
    files.set(`${file}.ts`, dataFile(s, '../../'));
    index.push(`export * from './${file}.js';`);
  }
  const coordinatorDir = join(specDir, 'coordinator-records');
  if (existsSync(coordinatorDir)) {
    for (const s of readSpecDir(coordinatorDir)) {
      const file = `coordinator-records/${kebab(s.name)}`;
      files.set(`${file}.ts`, dataFile(s, '../../'));
      index.push(`export * from './${file}.js';`);
    }
  }
  index.push(
    '',
    '/** Every API of the protocol, ordered by key: codecs and version facts. */',
    '// eslint-disable-next-line @typescript-eslint/no-explicit-any',
    'export const ALL_APIS: readonly ApiCodec<any, any>[] = [',
    ...tableRows,
    '];',
    '',
  );
  files.set('index.ts', index.join('\n'));
  // The names alone, for code that only names an API (a log line, a test's fault
  // rule) and must not load every codec to do it.
  files.set(
    'api-names.ts',
    [GENERATED_HEADER, '/** Kafka\'s name of every API, indexed by key (as ALL_APIS). */', 'export const API_NAMES: readonly string[] = [', ...nameRows, '];', ''].join('\n'),
  );
  return files;
}
