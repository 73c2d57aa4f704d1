/**
 * The Prometheus text format (0.0.4) for the series vawatch renders itself, off prom-client's scrape path, because
 * per-machine series are too many to format inside a request (see machine-series.ts).
 */

/** Escapes a label value: backslash, double quote and line feed (the only three the format requires). */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** Escapes HELP text: backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the format wants it (`+Inf`, `-Inf`, `NaN` spelled out). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** `# HELP` and `# TYPE` lines of a gauge family. */
export function gaugeHeader(name: string, help: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} gauge\n`;
}

/** One sample line; `labels` is already rendered (`machine="a",group="b"`). */
export function sampleLine(name: string, labels: string, value: number): string {
  return `${name}{${labels}} ${formatValue(value)}\n`;
}
