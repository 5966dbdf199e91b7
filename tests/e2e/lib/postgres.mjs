// postgres.mjs: the throwaway PostgreSQL server that scripts/test.sh starts (scripts/pg.sh) for
// the multi-node tests: a fresh database per test file, raw SQL through psql, and a restart of
// the whole server.
//
// HERALD_TEST_PG      postgres://postgres@127.0.0.1:PORT/postgres (printed by scripts/pg.sh start)
// HERALD_TEST_PG_DIR  the directory scripts/pg.sh manages (for restarts)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolve } from 'node:path';
import { ROOT } from './herald.mjs';

const run = promisify(execFile);

export const SERVER = process.env.HERALD_TEST_PG;
const DIR = process.env.HERALD_TEST_PG_DIR;

/** Throws the way to get a server unless one is configured (make test always does). */
export function requireServer() {
  if (!SERVER || !DIR)
    throw new Error('these tests need PostgreSQL: run `make test`, or set HERALD_TEST_PG and '
      + 'HERALD_TEST_PG_DIR from `scripts/pg.sh start DIR`');
}

export const urlOf = (database) => SERVER.replace(/\/[^/]*$/, `/${database}`);

/** The first column of the first row of sql, as text ('' for none). */
export async function sql(url, text) {
  const { stdout } = await run('psql', [url, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', text]);
  return stdout.split('\n')[0];
}

/** A new, empty database; resolves with its URL. */
export async function createDatabase(prefix) {
  const name = `${prefix}_${process.pid}_${Date.now()}`;
  await sql(SERVER, `CREATE DATABASE ${name}`);
  return urlOf(name);
}

export async function dropDatabase(url) {
  const name = new URL(url).pathname.slice(1);
  await sql(SERVER, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

const pgctl = (cmd) => run(resolve(ROOT, 'scripts/pg.sh'), [cmd, DIR]);
/** Stops the server (fast shutdown: every connection is cut). */
export const stopServer = () => pgctl('stop');
/** Starts it again on the same port. */
export const startServer = () => pgctl('start');
