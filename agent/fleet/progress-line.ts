/**
 * One progress line for a long run. On a terminal it is redrawn in place (`\r` and clear-line), and ordinary lines
 * (milestones, warnings) are printed above it. Anywhere else (a pipe, a log file, CI) each update would be a new
 * line, so updates are printed at most once every `plainEveryMs`, and ordinary lines as they come.
 */

import type { FleetStats } from './start-fleet.js';

/** Where the lines go: process.stderr, or a stand-in in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  /** True on a terminal: redraw in place. */
  isTTY?: boolean | undefined;
}

export interface ProgressLine {
  /** The current state; replaces the previous one. */
  update(text: string): void;
  /** A line that stays (a milestone or a warning). */
  line(text: string): void;
  /** Leaves the last state as an ordinary line (printed now if it was held back) and stops redrawing. */
  end(): void;
}

/** ANSI "erase the whole line"; with `\r` the cursor is back at its start. */
const CLEAR_LINE = '\r\x1b[2K';

export function progressLine(opts: { stream: ProgressStream; now: () => number; plainEveryMs?: number }): ProgressLine {
  const { stream, now } = opts;
  const tty = stream.isTTY === true;
  const every = opts.plainEveryMs ?? 5000;
  let current = '';
  let shown = false; // TTY: the current state is on screen, unterminated
  let printedAt = -Infinity;
  let printedText = '';
  let ended = false;

  const printPlain = (text: string) => {
    stream.write(`${text}\n`);
    printedAt = now();
    printedText = text;
  };

  return {
    update(text) {
      if (ended) return;
      current = text;
      if (tty) {
        stream.write(`${CLEAR_LINE}${text}`);
        shown = true;
      } else if (now() - printedAt >= every && text !== printedText) printPlain(text);
    },
    line(text) {
      if (tty) {
        stream.write(`${shown ? CLEAR_LINE : ''}${text}\n`);
        if (shown && !ended) stream.write(current);
      } else stream.write(`${text}\n`);
    },
    end() {
      if (ended) return;
      ended = true;
      if (tty) {
        if (shown) stream.write('\n');
      } else if (current && current !== printedText) printPlain(current);
      shown = false;
    },
  };
}

const nf = new Intl.NumberFormat('en-US');

/** `fast-forward: day 12 of 30 · 640 machines · 4,210 reports sent`, then `live: …` once caught up. */
export function describeFleetProgress(s: FleetStats): string {
  const parts = [`${nf.format(s.machines)} machines`, `${nf.format(s.reportsAcked)} reports sent`];
  if (s.reportsWaiting > 0) parts.push(`${nf.format(s.reportsWaiting)} waiting`);
  if (s.deadLettered > 0) parts.push(`${nf.format(s.deadLettered)} refused by the collector (kept in the agents' dead-letter files)`);
  const head =
    s.phase === 'fast-forward'
      ? `fast-forward: day ${Math.floor(s.historyDaysDone)} of ${Math.round(s.historyDaysTotal)}`
      : s.phase === 'live'
        ? 'live'
        : 'stopped';
  return `${head} · ${parts.join(' · ')}`;
}
