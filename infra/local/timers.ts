/** The longest delay a Node timer holds (2^31-1 ms); a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Sleeps `ms`, longer than one Node timer allows if need be; an abort ends the sleep early. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const end = Date.now() + ms;
    let timer: NodeJS.Timeout;
    const arm = () => {
      const left = end - Date.now();
      if (left <= 0) return done();
      timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    };
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    arm();
  });
}
