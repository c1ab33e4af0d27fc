/** One timer per pending approval, firing when it expires. */
export interface ExpiryTimers {
  arm(approval: { readonly id: string; readonly expiresAt: string }): void;
  disarm(id: string): void;
  clear(): void;
}

// setTimeout holds at most 2^31-1 ms (~24.8 days); a longer wait re-arms when it fires.
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Timers that call `onExpired(id)` once an approval's `expiresAt` has passed by `now()`. They are
 * unref'd: a pending approval never keeps the process alive, and its expiry survives a restart
 * because `start` arms every stored pending approval again.
 */
export function createExpiryTimers(now: () => Date, onExpired: (id: string) => void): ExpiryTimers {
  const timers = new Map<string, NodeJS.Timeout>();

  function arm(approval: { readonly id: string; readonly expiresAt: string }): void {
    const delay = Date.parse(approval.expiresAt) - now().getTime();
    const timer = setTimeout(
      () => {
        timers.delete(approval.id);
        if (Date.parse(approval.expiresAt) <= now().getTime()) onExpired(approval.id);
        else arm(approval);
      },
      Math.min(Math.max(0, delay), MAX_DELAY_MS),
    );
    timer.unref();
    timers.set(approval.id, timer);
  }

  return {
    arm,
    disarm(id) {
      clearTimeout(timers.get(id));
      timers.delete(id);
    },
    clear() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
