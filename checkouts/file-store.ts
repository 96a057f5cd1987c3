/**
 * Checkouts as JSON files in the data folder, shared by the API and workers on a host or volume:
 *
 *   <dataDir>/checkouts/<accountId>/<checkoutId>/v0000000007.json   the latest definition (version 7)
 *   <dataDir>/checkouts/<accountId>/<checkoutId>/sync.json          the latest sync result
 *
 * Directories are mode 0700, files 0600; ids cannot contain "/" or start with ".", so they are safe
 * file names. A new version is written to a temp file and hard-linked to its version's name, which
 * fails if that version exists: two API processes publishing at once get distinct, increasing
 * versions and never overwrite each other. Older version files are then removed. sync.json is
 * replaced atomically (temp file + rename); only the worker writes it. Reads hit the disk every time
 * (files are small), so a process never serves another process's stale data.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckoutSyncRecord, StoredCheckout } from './checkout';
import type { CheckoutStore, PublishInput } from './store';

const VERSION_FILE = /^v(\d{10})\.json$/;
const versionFile = (version: number) => `v${String(version).padStart(10, '0')}.json`;
const SYNC_FILE = 'sync.json';

function isErrno(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

export class FileCheckoutStore implements CheckoutStore {
  private readonly root: string;
  /** Per-checkout write chains, so one process never races itself. */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(dataDir: string) {
    this.root = join(dataDir, 'checkouts');
  }

  private dir(accountId: string, checkoutId: string): string {
    return join(this.root, accountId, checkoutId);
  }

  private serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(key) ?? Promise.resolve()).then(work, work);
    const settled = run.catch(() => undefined);
    this.chains.set(key, settled);
    void settled.then(() => {
      if (this.chains.get(key) === settled) this.chains.delete(key);
    });
    return run;
  }

  private async versions(dir: string): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return [];
      throw error;
    }
    return names
      .map((name) => VERSION_FILE.exec(name)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  private async tempFile(dir: string, text: string): Promise<string> {
    const tmp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
    return tmp;
  }

  publish(accountId: string, checkoutId: string, input: PublishInput): Promise<StoredCheckout> {
    const dir = this.dir(accountId, checkoutId);
    return this.serialized(`${accountId}/${checkoutId}`, async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      for (;;) {
        const previous = await this.read(accountId, checkoutId);
        const version = (previous?.version ?? 0) + 1;
        const stored: StoredCheckout = {
          accountId,
          checkoutId,
          version,
          sku: input.sku,
          skuDerived: input.skuDerived,
          definition: input.definition,
          publishedAt: input.publishedAt,
          firstPublishedAt: previous?.firstPublishedAt ?? input.publishedAt,
        };
        const tmp = await this.tempFile(dir, JSON.stringify(stored, null, 2));
        try {
          try {
            await link(tmp, join(dir, versionFile(version)));
          } catch (error) {
            if (isErrno(error, 'EEXIST')) continue; // another process published this version first
            if (!isErrno(error, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV')) throw error;
            // A filesystem without hard links: atomic rename; only this process's chain guards the version.
            await rename(tmp, join(dir, versionFile(version)));
          }
        } finally {
          await rm(tmp, { force: true });
        }
        for (const old of await this.versions(dir)) {
          if (old < version) await rm(join(dir, versionFile(old)), { force: true });
        }
        return stored;
      }
    });
  }

  private async read(accountId: string, checkoutId: string): Promise<StoredCheckout | undefined> {
    const dir = this.dir(accountId, checkoutId);
    for (let attempt = 0; ; attempt++) {
      const latest = (await this.versions(dir)).at(-1);
      if (latest === undefined) return undefined;
      try {
        return JSON.parse(await readFile(join(dir, versionFile(latest)), 'utf8')) as StoredCheckout;
      } catch (error) {
        // A newer version was published and this one pruned between readdir and read: look again.
        if (!isErrno(error, 'ENOENT') || attempt >= 5) throw error;
      }
    }
  }

  get(accountId: string, checkoutId: string): Promise<StoredCheckout | undefined> {
    return this.read(accountId, checkoutId);
  }

  async listIds(accountId: string): Promise<string[]> {
    try {
      const entries = await readdir(join(this.root, accountId), { withFileTypes: true });
      return entries
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return [];
      throw error;
    }
  }

  async getSync(accountId: string, checkoutId: string): Promise<CheckoutSyncRecord | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir(accountId, checkoutId), SYNC_FILE), 'utf8')) as CheckoutSyncRecord;
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  putSync(accountId: string, checkoutId: string, record: CheckoutSyncRecord): Promise<void> {
    const dir = this.dir(accountId, checkoutId);
    return this.serialized(`${accountId}/${checkoutId}#sync`, async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const tmp = await this.tempFile(dir, JSON.stringify(record, null, 2));
      try {
        await rename(tmp, join(dir, SYNC_FILE));
      } catch (error) {
        await rm(tmp, { force: true });
        throw error;
      }
    });
  }
}
