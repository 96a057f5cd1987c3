/** Mocha root hooks: the shared stack and the test PostgreSQL stop once, after every test file has run. */
import { stopTestDatabases } from './database';
import { stopStack } from './stack';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopStack();
    await stopTestDatabases();
  },
};
