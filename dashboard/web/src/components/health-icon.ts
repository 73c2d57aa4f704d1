// SCOM-style health icons drawn in SVG: green tick in a circle, amber triangle with "!", red circle with a cross,
// grey circle with "?". Shape differs as well as colour, so they read on a wall screen and for colour-blind eyes.
import { svg } from '../lib/dom.js';

export type Health = 'healthy' | 'warning' | 'critical' | 'unknown';

export const HEALTH_LABEL: Record<Health, string> = {
  healthy: 'Healthy',
  warning: 'Warning',
  critical: 'Critical',
  unknown: 'Unknown',
};

/** Higher is worse; used for "worst first" ordering and rollups. */
export const HEALTH_RANK: Record<Health, number> = { critical: 3, warning: 2, unknown: 1, healthy: 0 };

export function worstHealth(list: Iterable<Health>): Health {
  let worst: Health = 'healthy';
  for (const h of list) if (HEALTH_RANK[h] > HEALTH_RANK[worst]) worst = h;
  return worst;
}

export function healthIcon(health: Health, size = 16): SVGElement {
  const root = svg('svg', { viewBox: '0 0 16 16', width: size, height: size, class: `health-icon health-${health}`, role: 'img' });
  const title = svg('title', {});
  title.textContent = HEALTH_LABEL[health];
  root.appendChild(title);
  const stroke = { stroke: '#fff', 'stroke-width': 2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round', fill: 'none' };
  switch (health) {
    case 'healthy':
      root.append(svg('circle', { cx: 8, cy: 8, r: 7.25, class: 'hi-fill' }), svg('path', { d: 'M4.6 8.3l2.3 2.3 4.5-4.8', ...stroke }));
      break;
    case 'warning':
      root.append(
        svg('path', { d: 'M8 1.2l7 12.6c.3.6-.1 1.2-.8 1.2H1.8c-.7 0-1.1-.6-.8-1.2z', class: 'hi-fill' }),
        svg('path', { d: 'M8 5.6v4', ...stroke, stroke: '#3a2a00' }),
        svg('circle', { cx: 8, cy: 12.4, r: 1.05, fill: '#3a2a00' }),
      );
      break;
    case 'critical':
      root.append(svg('circle', { cx: 8, cy: 8, r: 7.25, class: 'hi-fill' }), svg('path', { d: 'M5.4 5.4l5.2 5.2M10.6 5.4l-5.2 5.2', ...stroke }));
      break;
    case 'unknown':
      root.append(
        svg('circle', { cx: 8, cy: 8, r: 7.25, class: 'hi-fill' }),
        svg('path', { d: 'M6.1 6.2a2 2 0 1 1 2.6 1.9c-.5.2-.7.5-.7 1v.5', ...stroke, 'stroke-width': 1.7 }),
        svg('circle', { cx: 8, cy: 11.7, r: 1, fill: '#fff' }),
      );
      break;
  }
  return root;
}
