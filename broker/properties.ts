// Reader for Java's `.properties` text format, the format of Kafka's
// server.properties.
//
// Rules (those of java.util.Properties#load):
// - A logical line is one or more natural lines; a natural line ending in an odd
//   number of backslashes continues on the next one, whose leading whitespace is
//   dropped. Natural lines end in \n, \r or \r\n.
// - Blank lines and lines whose first non-blank character is `#` or `!` are
//   comments. A comment never continues onto the next line.
// - The key runs from the first non-blank character to the first unescaped `=`,
//   `:` or whitespace. Whitespace around the separator is skipped, and a single
//   `=` or `:` after whitespace is part of the separator, not of the value.
// - Escapes in keys and values: \t \n \r \f, \uXXXX, and a backslash before any
//   other character stands for that character (`\=`, `\:`, `\ `, `\\`, `\#`).
// - A key given twice keeps its last value.
//
// One deliberate difference: Java reads a byte stream as ISO-8859-1; callers here
// hand over a JavaScript string, and readPropertiesFile decodes files as UTF-8
// (a superset for the ASCII files Kafka ships; \uXXXX escapes work either way).

import { readFile } from 'node:fs/promises';

export class PropertiesSyntaxError extends Error {
  override name = 'PropertiesSyntaxError';
  constructor(
    message: string,
    /** 1-based number of the natural line where the bad logical line starts. */
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const WHITESPACE = new Set([' ', '\t', '\f']);

/** Splits text into natural lines, keeping their 1-based line numbers. */
function naturalLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/** True when `s` ends in an odd number of backslashes (a continuation). */
function endsWithContinuation(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function skipWhitespace(s: string, i: number): number {
  while (i < s.length && WHITESPACE.has(s[i]!)) i++;
  return i;
}

/** Resolves the escapes of one key or value. */
function unescape(s: string, line: number): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    i++;
    if (i >= s.length) break; // a lone trailing backslash was a continuation marker
    const e = s[i]!;
    switch (e) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        const hex = s.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new PropertiesSyntaxError(`malformed \\uXXXX escape: \\u${hex}`, line);
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      default: out += e;
    }
  }
  return out;
}

/**
 * Parses `.properties` text into an ordered map of key to value.
 * Throws PropertiesSyntaxError (with the line number) on a malformed \u escape.
 */
export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  const lines = naturalLines(text.startsWith('\uFEFF') ? text.slice(1) : text);

  for (let n = 0; n < lines.length; n++) {
    const startLine = n + 1;
    const first = lines[n]!;
    const start = skipWhitespace(first, 0);
    if (start === first.length) continue; // blank
    if (first[start] === '#' || first[start] === '!') continue; // comment

    // Join continuation lines into one logical line.
    let logical = first.slice(start);
    while (endsWithContinuation(logical)) {
      logical = logical.slice(0, -1);
      n++;
      if (n >= lines.length) break;
      const next = lines[n]!;
      logical += next.slice(skipWhitespace(next, 0));
    }

    // Key: up to the first unescaped separator or whitespace.
    let i = 0;
    let keyEnd = -1;
    let sawSeparator = false;
    while (i < logical.length) {
      const c = logical[i]!;
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (c === '=' || c === ':') {
        keyEnd = i;
        sawSeparator = true;
        i++;
        break;
      }
      if (WHITESPACE.has(c)) {
        keyEnd = i;
        i++;
        break;
      }
      i++;
    }
    if (keyEnd === -1) keyEnd = i = logical.length;
    if (keyEnd > logical.length) keyEnd = logical.length; // key ended in a lone backslash

    // Separator: whitespace, then at most one '=' or ':' (if none was seen yet),
    // then whitespace.
    i = skipWhitespace(logical, i);
    if (!sawSeparator && i < logical.length && (logical[i] === '=' || logical[i] === ':')) {
      i = skipWhitespace(logical, i + 1);
    }

    const key = unescape(logical.slice(0, keyEnd), startLine);
    const value = unescape(logical.slice(i), startLine);
    result.delete(key); // a repeated key moves to its last position
    result.set(key, value);
  }
  return result;
}

/** Reads and parses a `.properties` file (UTF-8). */
export async function readPropertiesFile(path: string): Promise<Map<string, string>> {
  return parseProperties(await readFile(path, 'utf8'));
}
