// Line icons for the navigation (stroke paths on a 24-unit grid).
import { svg } from '../lib/dom.js';

const PATHS: Record<string, string> = {
  overview: 'M3 13h8V3H3zM13 21h8V11h-8zM3 21h8v-6H3zM13 3v6h8V3z',
  alerts: 'M12 3l9.5 17h-19zM12 10v4M12 17.5v.5',
  machines: 'M3 4h18v12H3zM8 20h8M12 16v4',
  kms: 'M4 5h16v5H4zM4 14h16v5H4zM8 7.5h.01M8 16.5h.01',
  expiry: 'M12 7v5l3 2M12 21a9 9 0 1 1 0-18 9 9 0 0 1 0 18z',
  events: 'M5 4h14v16H5zM9 8h6M9 12h6M9 16h4',
  admin: 'M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19 12l2-1-1-3-2 .3-1.6-1.6L16.7 4l-3-1-1 2h-1.4l-1-2-3 1 .3 2.2L6 7.8 4 7.5 3 10.5l2 1v1l-2 1 1 3 2-.3 1.6 1.6-.3 2.2 3 1 1-2h1.4l1 2 3-1-.3-2.2 1.6-1.6 2 .3 1-3-2-1z',
  wall: 'M3 5h18v11H3zM7 20h10M12 16v4',
  check: 'M5 12.5l4.5 4.5L19 7.5',
};

export function icon(name: keyof typeof PATHS | string, size = 16): SVGElement {
  return svg(
    'svg',
    { viewBox: '0 0 24 24', width: size, height: size, fill: 'none', stroke: 'currentColor', 'stroke-width': 1.8, 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true' },
    svg('path', { d: PATHS[name] ?? PATHS['overview']! }),
  );
}

export function brandMark(size = 14): SVGElement {
  return svg(
    'svg',
    { viewBox: '0 0 24 24', width: size, height: size, fill: 'none', stroke: '#fff', 'stroke-width': 3, 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true' },
    svg('path', { d: PATHS['check']! }),
  );
}
