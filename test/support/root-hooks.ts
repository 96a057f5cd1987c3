/** Mocha root hooks: the shared stack stops once, after every test file has run. */
import { stopStack } from './stack';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopStack();
  },
};
