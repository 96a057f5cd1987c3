/** Runs cleanups once on SIGINT/SIGTERM, in reverse order of registration; a second signal forces exit. */
export function onShutdown(logger: { info(msg: string): void; error(obj: unknown, msg: string): void }) {
  const cleanups: { name: string; run: () => Promise<void> }[] = [];
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.info(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal}: shutting down`);
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup.run();
      } catch (error) {
        logger.error({ err: error }, `stopping ${cleanup.name} failed`);
      }
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  return {
    add(name: string, run: () => Promise<void>): void {
      cleanups.push({ name, run });
    },
  };
}
