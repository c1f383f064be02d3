import { describe, expect, it } from 'vitest';
import { parseProperties, PropertiesSyntaxError } from './properties.js';

const parse = (text: string): Record<string, string> => Object.fromEntries(parseProperties(text));

describe('parseProperties', () => {
  it('reads the three separator forms', () => {
    expect(parse('a=1\nb: 2\nc 3\nd\t4\ne = 5\nf  :  6')).toEqual({ a: '1', b: '2', c: '3', d: '4', e: '5', f: '6' });
  });

  it('skips comments, blank lines and leading whitespace', () => {
    expect(parse('# comment\n! also a comment\n\n   \n   key = value\n\t#not=a comment? no, a comment')).toEqual({
      key: 'value',
    });
  });

  it('keeps trailing whitespace and separators inside values', () => {
    expect(parse('url=PLAINTEXT://host:9092 \nx=a=b:c')).toEqual({ url: 'PLAINTEXT://host:9092 ', x: 'a=b:c' });
  });

  it('takes one separator after whitespace; a second one belongs to the value', () => {
    expect(parse('k = =v')).toEqual({ k: '=v' });
    expect(parse('k :: v')).toEqual({ k: ': v' });
  });

  it('allows empty values and keys without values', () => {
    expect(parse('empty=\nlonely\nspaced =   ')).toEqual({ empty: '', lonely: '', spaced: '' });
  });

  it('joins continuation lines, dropping leading whitespace of the next line', () => {
    expect(parse('list=a,\\\n    b,\\\n\tc\nnext=1')).toEqual({ list: 'a,b,c', next: '1' });
  });

  it('treats an even number of trailing backslashes as literal backslashes', () => {
    expect(parse('path=C:\\\\\nnext=1')).toEqual({ path: 'C:\\', next: '1' });
  });

  it('does not continue a comment line', () => {
    expect(parse('# comment \\\nkey=value')).toEqual({ key: 'value' });
  });

  it('handles a continuation at end of input', () => {
    expect(parse('k=v\\')).toEqual({ k: 'v' });
  });

  it('resolves escapes in keys and values', () => {
    expect(parse('tab=a\\tb\nnl=a\\nb\ncr=\\r\nff=\\f\nuni=\\u00e9\\u4E2D\nother=\\q\\#\\!')).toEqual({
      tab: 'a\tb',
      nl: 'a\nb',
      cr: '\r',
      ff: '\f',
      uni: 'é中',
      other: 'q#!',
    });
    expect(parse('key\\ with\\ spaces=1\nkey\\=eq=2\nkey\\:colon=3')).toEqual({
      'key with spaces': '1',
      'key=eq': '2',
      'key:colon': '3',
    });
  });

  it('accepts \\r\\n and \\r line endings and a byte-order mark', () => {
    expect(parse('\uFEFFa=1\r\nb=2\rc=3')).toEqual({ a: '1', b: '2', c: '3' });
  });

  it('keeps the last value of a repeated key', () => {
    expect(parse('a=1\nb=2\na=3')).toEqual({ a: '3', b: '2' });
  });

  it('rejects a malformed \\u escape with its line number', () => {
    let err: unknown;
    try {
      parseProperties('ok=1\n\nbad=\\u12G4');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PropertiesSyntaxError);
    expect((err as PropertiesSyntaxError).line).toBe(3);
    expect((err as Error).message).toMatch(/^line 3: malformed/);
  });

  it('does not treat __proto__ specially', () => {
    const m = parseProperties('__proto__=x');
    expect(m.get('__proto__')).toBe('x');
  });
});
