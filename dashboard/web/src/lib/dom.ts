// A tiny element builder. Every string becomes a text node, so agent-supplied data (host names, event text) can
// never become markup; there is deliberately no way to pass HTML through here.

export type Child = Node | string | number | null | undefined | false | readonly Child[];

export interface Props {
  class?: string | undefined;
  title?: string | undefined;
  id?: string;
  /** data-* attributes (without the prefix). */
  data?: Record<string, string | number | undefined>;
  /** Plain attributes. Event-handler attributes (on…) are refused: use `on`. */
  attrs?: Record<string, string | number | boolean | undefined>;
  on?: { [K in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[K]) => void };
  style?: Partial<Record<'width' | 'height' | 'left' | 'top' | 'color' | 'background' | 'flex' | 'minWidth' | 'gridTemplateColumns', string>>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) applyProps(el, props);
  append(el, children);
  return el;
}

function applyProps(el: HTMLElement, props: Props): void {
  if (props.class) el.className = props.class;
  if (props.title !== undefined) el.title = props.title;
  if (props.id) el.id = props.id;
  if (props.data) for (const [k, v] of Object.entries(props.data)) if (v !== undefined) el.dataset[k] = String(v);
  if (props.attrs) {
    for (const [k, v] of Object.entries(props.attrs)) {
      if (/^on/i.test(k)) throw new Error(`refusing event-handler attribute ${k}`);
      if (v === undefined || v === false) continue;
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  if (props.on) for (const [k, fn] of Object.entries(props.on)) el.addEventListener(k, fn as EventListener);
  if (props.style) Object.assign(el.style, props.style);
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else if (typeof c === 'string' || typeof c === 'number') parent.appendChild(document.createTextNode(String(c)));
    else parent.appendChild(c as Node);
  }
}

/** Replaces all children of `el`. */
export function replaceChildren(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Sets text only when it changed, so live updates do not disturb selection or layout. */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag: string, attrs: Record<string, string | number>, ...children: SVGElement[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.appendChild(c);
  return el;
}
