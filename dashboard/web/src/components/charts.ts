// chart.js, registered with only the pieces we draw, and small wrappers that update data in place so live changes
// animate instead of redrawing from scratch.
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import { h } from '../lib/dom.js';
import { day } from '../lib/format.js';

Chart.register(ArcElement, BarController, BarElement, CategoryScale, DoughnutController, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

function baseDefaults(): void {
  Chart.defaults.font.family = cssVar('--font', 'system-ui');
  // The wall screen is read across a room: its charts take the larger type of the dark theme.
  Chart.defaults.font.size = document.body.classList.contains('theme-dark') ? 15 : 12;
  Chart.defaults.color = cssVar('--muted', '#7a8596');
  Chart.defaults.borderColor = cssVar('--border', '#dde2e9');
  Chart.defaults.animation = { duration: 450 };
}

export interface ChartHandle<D> {
  el: HTMLElement;
  update(data: D): void;
  destroy(): void;
}

export function doughnutChart(opts: { onClick?: (index: number) => void; large?: boolean } = {}): ChartHandle<{ labels: string[]; values: number[]; colors: string[]; center: string; centerLabel: string }> {
  baseDefaults();
  const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': 'Licence states' } });
  const centerV = h('div', { class: 'donut-v' });
  const centerL = h('div', { class: 'donut-l' });
  const el = h('div', { class: `chart-box donut ${opts.large ? 'tall' : ''}` }, canvas, h('div', { class: 'donut-center' }, centerV, centerL));
  const chart = new Chart<'doughnut', number[], string>(canvas, {
    type: 'doughnut',
    data: { labels: [], datasets: [{ data: [], backgroundColor: [], borderWidth: 2, borderColor: cssVar('--panel', '#fff'), hoverOffset: 4 }] },
    options: {
      maintainAspectRatio: false,
      cutout: '68%',
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => ` ${c.label}: ${c.formattedValue}` } } },
      onClick: (_e, elements) => {
        const first = elements[0];
        if (first && opts.onClick) opts.onClick(first.index);
      },
    },
  });
  return {
    el,
    update(d) {
      chart.data.labels = d.labels;
      const ds = chart.data.datasets[0]!;
      ds.data = d.values;
      (ds as ChartDataset<'doughnut'>).backgroundColor = d.colors;
      chart.update();
      centerV.textContent = d.center;
      centerL.textContent = d.centerLabel;
    },
    destroy: () => chart.destroy(),
  };
}

export interface WaveDay {
  date: string;
  count: number;
}

export function expiryWaveChart(opts: { onClick?: (index: number) => void; tall?: boolean; short?: boolean; selected?: () => number | null } = {}): ChartHandle<WaveDay[]> {
  baseDefaults();
  const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': 'Machines reaching Notification per day' } });
  const el = h('div', { class: `chart-box ${opts.tall ? 'tall' : opts.short ? 'short' : ''}` }, canvas);
  const critical = cssVar('--critical', '#d43d3d');
  const accent = cssVar('--accent', '#1d5fd6');
  const chart = new Chart<'bar', number[], string>(canvas, {
    type: 'bar',
    data: { labels: [], datasets: [{ label: 'Machines reaching Notification', data: [], backgroundColor: critical, borderRadius: 2, maxBarThickness: 22 }] },
    options: {
      maintainAspectRatio: false,
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: { beginAtZero: true, suggestedMax: 5, ticks: { precision: 0 }, grid: { color: cssVar('--border', '#dde2e9') } },
      },
      plugins: { legend: { display: false } },
      onClick: (_e, elements) => {
        const first = elements[0];
        if (first && opts.onClick) opts.onClick(first.index);
      },
      onHover: (e, elements) => {
        const t = e.native?.target as HTMLElement | undefined;
        if (t && opts.onClick) t.style.cursor = elements.length ? 'pointer' : 'default';
      },
    },
  });
  return {
    el,
    update(days) {
      chart.data.labels = days.map((d) => day(d.date));
      const ds = chart.data.datasets[0]!;
      ds.data = days.map((d) => d.count);
      const sel = opts.selected?.() ?? null;
      (ds as ChartDataset<'bar'>).backgroundColor = days.map((_, i) => (sel === null || sel === i ? critical : `${critical}55`));
      if (sel !== null) (ds as ChartDataset<'bar'>).borderColor = accent;
      chart.update();
    },
    destroy: () => chart.destroy(),
  };
}

export interface CountSeries {
  history: Array<{ t: number; count: number | null }>;
  forecast: Array<{ t: number; count: number }>;
  thresholds: Array<{ value: number; label: string; color: string }>;
  now: number;
}

/** KMS count over time: the reported count, the forecast dashed, and the 25 / 5 threshold lines. */
export function countChart(): ChartHandle<CountSeries> {
  baseDefaults();
  const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': 'KMS count over time' } });
  const el = h('div', { class: 'chart-box tall' }, canvas);
  const accent = cssVar('--accent', '#1d5fd6');
  const chart = new Chart(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', intersect: false, axis: 'x' },
      scales: {
        x: {
          type: 'linear',
          ticks: { callback: (v) => day(Number(v)), maxRotation: 0, autoSkipPadding: 16 },
          grid: { display: false },
        },
        y: { beginAtZero: true, suggestedMax: 30, grace: '8%', ticks: { precision: 0 } },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 14, boxHeight: 2, usePointStyle: false } },
        tooltip: { callbacks: { title: (items) => (items[0] ? day(items[0].parsed.x ?? 0) : '') } },
      },
    },
  });
  return {
    el,
    update(s) {
      const xs = [...s.history.map((p) => p.t), ...s.forecast.map((p) => p.t), s.now];
      const minX = Math.min(...xs);
      const maxX = Math.max(...xs);
      const x = chart.options.scales?.['x'];
      if (x) {
        x.min = minX;
        x.max = maxX;
      }
      const datasets: ChartDataset<'line', Array<{ x: number; y: number | null }>>[] = [
        {
          label: 'Reported count',
          data: s.history.map((p) => ({ x: p.t, y: p.count })),
          borderColor: accent,
          backgroundColor: `${accent}22`,
          fill: 'origin',
          stepped: 'before',
          pointRadius: 0,
          borderWidth: 2,
        },
      ];
      if (s.forecast.length) {
        datasets.push({
          label: 'Forecast (no new clients)',
          data: s.forecast.map((p) => ({ x: p.t, y: p.count })),
          borderColor: accent,
          borderDash: [6, 4],
          stepped: 'before',
          pointRadius: 0,
          borderWidth: 2,
          fill: false,
        });
      }
      for (const th of s.thresholds) {
        datasets.push({
          label: th.label,
          data: [
            { x: minX, y: th.value },
            { x: maxX, y: th.value },
          ],
          borderColor: th.color,
          borderWidth: 1.5,
          borderDash: [2, 3],
          pointRadius: 0,
          fill: false,
        });
      }
      // Replace data in place by label so unchanged series do not re-animate from zero.
      const old = new Map(chart.data.datasets.map((d) => [d.label, d]));
      chart.data.datasets = datasets.map((d) => {
        const prev = old.get(d.label);
        if (prev) {
          Object.assign(prev, d);
          return prev;
        }
        return d;
      }) as typeof chart.data.datasets;
      chart.update();
    },
    destroy: () => chart.destroy(),
  };
}
