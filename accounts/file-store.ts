/**
 * Accounts in one JSON file in the data folder (mode 0600), shared by the API and workers on a host
 * or volume. Secrets stay here and never travel through Temporal: activities look accounts up by id.
 * Writes are serialised and atomic (temp file + rename); reads re-load only when the file changed.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Account, AccountStore } from './account';

interface FileShape {
  version: 1;
  accounts: Record<string, Account>;
}

export class FileAccountStore implements AccountStore {
  private readonly file: string;
  private cache: { mtimeMs: number; size: number; accounts: Map<string, Account> } | undefined;
  private writeChain: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataDir: string) {
    this.file = join(dataDir, 'accounts.json');
  }

  private async load(): Promise<Map<string, Account>> {
    let info;
    try {
      info = await stat(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    if (this.cache && this.cache.mtimeMs === info.mtimeMs && this.cache.size === info.size) return this.cache.accounts;
    const parsed = JSON.parse(await readFile(this.file, 'utf8')) as FileShape;
    const accounts = new Map(Object.entries(parsed.accounts));
    this.cache = { mtimeMs: info.mtimeMs, size: info.size, accounts };
    return accounts;
  }

  async get(accountId: string): Promise<Account | undefined> {
    return (await this.load()).get(accountId);
  }

  async put(account: Account): Promise<void> {
    await this.write(() => account);
  }

  update(accountId: string, change: (account: Account) => Account): Promise<Account | undefined> {
    return this.write((accounts) => {
      const current = accounts.get(accountId);
      return current ? change(current) : undefined;
    });
  }

  /** Serialised read-modify-write: writes from this process never interleave. */
  private write(next: (accounts: Map<string, Account>) => Account | undefined): Promise<Account | undefined> {
    const write = this.writeChain.then(async () => {
      const accounts = new Map(await this.load());
      const account = next(accounts);
      if (!account) return undefined;
      accounts.set(account.accountId, account);
      const shape: FileShape = { version: 1, accounts: Object.fromEntries(accounts) };
      await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(shape, null, 2), { mode: 0o600 });
      await rename(tmp, this.file);
      this.cache = undefined;
      return account;
    });
    this.writeChain = write.catch(() => undefined);
    return write;
  }
}
