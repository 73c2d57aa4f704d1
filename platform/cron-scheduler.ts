import cron from 'node-cron';
import { parseCron, type Cancel, type Scheduler } from '../shared/scheduling.js';

/** The production scheduler: node-cron for cron expressions, Node timers for intervals, the wall clock for now(). */
export function createCronScheduler(): Scheduler {
  return {
    now: () => Date.now(),
    cron(expression: string, fn: () => unknown): Cancel {
      parseCron(expression); // same validation and message as the virtual clock
      const task = cron.schedule(expression, () => void fn(), { timezone: 'UTC' });
      return () => void task.stop();
    },
    every(intervalMs: number, fn: () => unknown, firstDelayMs = intervalMs): Cancel {
      let interval: NodeJS.Timeout | undefined;
      const first = setTimeout(() => {
        void fn();
        interval = setInterval(() => void fn(), intervalMs);
      }, firstDelayMs);
      return () => {
        clearTimeout(first);
        if (interval) clearInterval(interval);
      };
    },
    at(timeMs: number, fn: () => unknown): Cancel {
      const t = setTimeout(() => void fn(), Math.max(0, timeMs - Date.now()));
      return () => clearTimeout(t);
    },
  };
}
