/** Resolves on the first SIGINT or SIGTERM: long-running commands stop cleanly (closing listeners and databases). */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (s: NodeJS.Signals) => resolve(s);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
