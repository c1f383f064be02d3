// One line for an operator when the broker cannot start: what went wrong, in
// words, and what to do about it. The errno codes that start-up meets (a port in
// use, a data directory that cannot be written) map to hints here; anything else
// is its message. The stack is for debug logs only.
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';

export interface StartupWhere {
  host: string;
  port: number;
  /** The data directory, or undefined with --memory. */
  dataDir?: string;
}

/** `flag`: the option that chose the port, when it is not --port (the metrics endpoint's). */
type ErrnoError = NodeJS.ErrnoException & { address?: string; port?: number; flag?: string };

/**
 * Node's recursive mkdir answers ENOENT on a read-only file system (it cannot
 * create the parent it tries next); the real cause is that the nearest existing
 * ancestor cannot be written. Returns that cause's code, or the original one.
 */
function realFsCode(err: ErrnoError): string | undefined {
  if (err.code !== 'ENOENT' || err.syscall !== 'mkdir' || err.path === undefined) return err.code;
  let dir = err.path;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, constants.W_OK);
    return err.code;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? err.code;
  }
}

/** The one line (without the `kafkalite: ` prefix) that tells the operator why start-up failed. */
export function describeStartupError(e: unknown, where: StartupWhere): string {
  if (!(e instanceof Error)) return `failed to start: ${String(e)}`;
  const err = e as ErrnoError;
  const port = err.port ?? where.port;
  const host = err.address ?? where.host;
  const path = err.path ?? where.dataDir ?? '';
  switch (err.syscall === 'listen' || err.syscall === 'bind' ? err.code : realFsCode(err)) {
    case 'EADDRINUSE':
      return err.flag !== undefined ? `port ${port} is in use: use another ${err.flag}` : `port ${port} is in use: is another broker running? use --port`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${host}: the address is not on this machine; use --host`;
    case 'EACCES':
    case 'EPERM':
      if (err.syscall === 'listen' || err.syscall === 'bind') {
        return `no permission to listen on port ${port} (ports below 1024 need privileges): use ${err.flag ?? '--port'}`;
      }
      return `no permission to write ${path} (${err.code === 'ENOENT' ? 'EACCES' : err.code}): use --data-dir with a directory this user can write`;
    case 'EROFS':
      return `cannot write ${path}: read-only file system (EROFS): use --data-dir on a writable file system`;
    case 'ENOSPC':
      return `cannot write ${path}: no space left on device (ENOSPC): free space or use --data-dir elsewhere`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `cannot use ${path} as the data directory: a file is in the way (${err.code}): use --data-dir`;
    case 'EMFILE':
    case 'ENFILE':
      return `too many open files (${err.code}): raise the limit (ulimit -n)`;
    default:
      return `failed to start: ${err.message}`;
  }
}
