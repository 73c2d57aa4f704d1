// Figures the Overview and the NOC derive from a Summary. Pure: no DOM.
import type { Summary } from '../../../../shared/api.js';

/** What an empty collector tells the reader to run: an agent on a Windows machine, or a simulated fleet. */
export function emptyFleetCommands(collectorUrl: string): string {
  return [
    `npm run agent -- run --collector ${collectorUrl} --secret <enrolment secret>`,
    `npm run fleet -- --scenario enterprise --collector ${collectorUrl} --secret <enrolment secret>`,
  ].join('\n');
}

/** Machines per kind of licence state; "grace" is every grace state (2, 3, 4, 6). */
export function byStatusTotals(summary: Pick<Summary, 'byStatus'>): { licensed: number; grace: number; notification: number; unlicensed: number; none: number } {
  const c = (k: string) => summary.byStatus[k] ?? 0;
  return { licensed: c('1'), grace: c('2') + c('3') + c('4') + c('6'), notification: c('5'), unlicensed: c('0'), none: c('none') };
}

/** `94.0%`, `100%`, `0%`, or `—` for an empty fleet; never rounds a partial share up to 100%. */
export function percent(part: number, total: number): string {
  if (!total) return '—';
  if (part === total) return '100%';
  if (part === 0) return '0%';
  const p = Math.min(99.9, Math.floor((part / total) * 1000) / 10);
  return `${p.toFixed(1)}%`;
}
