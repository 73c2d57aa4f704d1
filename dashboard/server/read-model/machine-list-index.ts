import { MACHINE_SORT_KEYS, type MachineListQuery } from '../../../shared/api.js';
import type { FleetState } from '../state/fleet-state.js';
import { channelKeyOf, kmsHostIdOf, statusKeyOf, type MachineState } from '../state/machine-state.js';

export type MachineSortKey = (typeof MACHINE_SORT_KEYS)[number];
type Value = string | number | null;

/** Entries per block of a sorted index: an insert or removal moves at most this many references. */
const BLOCK = 512;
/**
 * A text filter (`q`) cannot use an index: the walk looks at this many entries at most. Past it, `total` counts the
 * matches seen so far and the page says `totalIsLowerBound`.
 */
export const TEXT_SCAN_BUDGET = 25_000;

/**
 * What the list filters on, but for the text: retired × status × channel × group × KMS host. Machines fall into few
 * cells (a fleet has a handful of groups, hosts and states), so a filter is decided per cell and counted from the cells'
 * sizes, and each index block knows how many of its entries sit in each cell.
 */
interface Cell {
  /** Its place in the list's cells, and its number in the blocks' counts and cell columns. */
  readonly id: number;
  readonly retired: boolean;
  readonly status: string;
  readonly channel: string;
  readonly group: string;
  readonly kmsHost: string | null;
  /** The group as the list sorts it (lower case), kept here so that an entry need not. */
  readonly groupKey: string;
}

/**
 * One machine as the list sorts it; mutated in place (after leaving the indexes whose order it changes). A million of
 * them: the sort values are read from the machine state (and its cell) when compared, not copied here; the host name
 * is kept lower-cased, as every comparison ends on it.
 */
interface Entry {
  m: MachineState;
  cell: Cell;
  host: string;
}

interface Block {
  items: Entry[];
  /**
   * The cell of each item, side by side (then room for more): a sparse filter scans this compact column, not the
   * entries. Four bytes a cell, not the eight of an array slot.
   */
  cellCol: Uint32Array;
  /** cell → entries of this block in it */
  cells: Map<number, number>;
}

/** The query's answer before rendering: machines in order, how many match, and whether that is exact. */
export interface MachineListResult {
  machines: MachineState[];
  total: number;
  totalIsLowerBound: boolean;
}

function valueOf(e: Entry, key: MachineSortKey): Value {
  switch (key) {
    case 'hostname':
      return e.host;
    case 'group':
      return e.cell.groupKey;
    case 'status':
      return e.m.primary?.licenseStatus ?? null;
    case 'channel':
      return e.m.primary?.channel ?? null;
    case 'graceExpiresAt':
      return e.m.primary?.graceExpiresAt ? Date.parse(e.m.primary.graceExpiresAt) : null;
    case 'lastReportAt':
      return e.m.lastReportAt;
    case 'kmsHost':
      return e.m.kmsHostId;
  }
}

/** Ascending; ties by host name, then machine id. Never compares a null with a value: nulls have their own index. */
function comparator(key: MachineSortKey): (a: Entry, b: Entry) => number {
  return (a, b) => {
    const va = valueOf(a, key);
    const vb = valueOf(b, key);
    if (va !== vb) return va! < vb! ? -1 : 1;
    if (a.host !== b.host) return a.host < b.host ? -1 : 1;
    const ia = a.m.machineId;
    const ib = b.m.machineId;
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  };
}

/** A sorted sequence of entries in blocks of ≤ 2×BLOCK, each block counting its entries per cell. */
class SortedIndex {
  readonly #cmp: (a: Entry, b: Entry) => number;
  readonly blocks: Block[] = [blockOf([])];

  constructor(cmp: (a: Entry, b: Entry) => number) {
    this.#cmp = cmp;
  }

  /** Adds `e` after every entry: building an index from entries already in order. */
  append(e: Entry): void {
    let block = this.blocks[this.blocks.length - 1]!;
    if (block.items.length >= BLOCK) this.blocks.push((block = blockOf([])));
    widen(block, block.items.length);
    block.cellCol[block.items.length] = e.cell.id;
    block.items.push(e);
    bump(block.cells, e.cell.id, 1);
  }

  insert(e: Entry): void {
    const b = this.#blockFor(e);
    const block = this.blocks[b]!;
    const i = this.#position(block.items, e);
    widen(block, i);
    block.cellCol[i] = e.cell.id;
    block.items.splice(i, 0, e);
    bump(block.cells, e.cell.id, 1);
    if (block.items.length > 2 * BLOCK) {
      const half = block.items.length >> 1;
      this.blocks.splice(b, 1, blockOf(block.items.slice(0, half)), blockOf(block.items.slice(half)));
    }
  }

  remove(e: Entry): void {
    const b = this.#blockFor(e);
    const block = this.blocks[b]!;
    const i = this.#position(block.items, e);
    if (block.items[i] !== e) return;
    block.cellCol.copyWithin(i, i + 1, block.items.length);
    block.items.splice(i, 1);
    bump(block.cells, e.cell.id, -1);
    if (block.items.length === 0 && this.blocks.length > 1) this.blocks.splice(b, 1);
  }

  /** The entry stays where it is (same sort values) but moves from one cell to another. */
  recell(e: Entry, from: number, to: number): void {
    const block = this.blocks[this.#blockFor(e)]!;
    const i = this.#position(block.items, e);
    if (block.items[i] === e) block.cellCol[i] = to;
    bump(block.cells, from, -1);
    bump(block.cells, to, 1);
  }

  /** The first block whose last entry is not before `e` (the last block if none). */
  #blockFor(e: Entry): number {
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const items = this.blocks[mid]!.items;
      if (items.length > 0 && this.#cmp(items[items.length - 1]!, e) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #position(items: Entry[], e: Entry): number {
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#cmp(items[mid]!, e) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * One sort key's order, ascending: the entries with a value, then those without (null) by host name, each part an
 * index of its own. A descending page walks both parts backwards: nulls stay last, and ties (same value, or both null)
 * come by host name, then machine id, in the sort's direction.
 */
class KeyIndex {
  readonly known: SortedIndex;
  readonly nulls: SortedIndex;

  constructor(readonly key: MachineSortKey) {
    this.known = new SortedIndex(comparator(key));
    this.nulls = new SortedIndex(comparator(key));
  }

  /** Adds `e` after every entry of its part: building the index from entries already in order. */
  append(e: Entry): void {
    this.#partOf(e).append(e);
  }

  insert(e: Entry): void {
    this.#partOf(e).insert(e);
  }

  remove(e: Entry): void {
    this.#partOf(e).remove(e);
  }

  recell(e: Entry, from: number, to: number): void {
    this.#partOf(e).recell(e, from, to);
  }

  #partOf(e: Entry): SortedIndex {
    return valueOf(e, this.key) === null ? this.nulls : this.known;
  }
}

/** The blocks of an index in a page's order: those with values, then the nulls; each from its end if descending. */
function* blocksOf(index: KeyIndex, desc: boolean): Generator<Block, void, void> {
  for (const { blocks } of [index.known, index.nulls]) {
    for (let b = 0; b < blocks.length; b++) yield blocks[desc ? blocks.length - 1 - b : b]!;
  }
}

function blockOf(items: Entry[]): Block {
  const cells = new Map<number, number>();
  for (const e of items) bump(cells, e.cell.id, 1);
  return { items, cellCol: Uint32Array.from(items, (e) => e.cell.id), cells };
}

/** Opens a slot at `i` in the block's cell column, before an item is put there; grows the column when it is full. */
function widen(block: Block, i: number): void {
  const n = block.items.length;
  if (n === block.cellCol.length) {
    // Doubling up to a block's size (a block built by appending ends without spare room), then a quarter block.
    const grown = new Uint32Array(n < BLOCK ? Math.max(64, 2 * n) : n + BLOCK / 4);
    grown.set(block.cellCol);
    block.cellCol = grown;
  }
  block.cellCol.copyWithin(i + 1, i, n);
}

function bump(m: Map<number, number>, k: number, by: number): void {
  const n = (m.get(k) ?? 0) + by;
  if (n === 0) m.delete(k);
  else m.set(k, n);
}

/**
 * The machines list at fleet scale: every machine once as an entry; one ascending index per sort key (host name at
 * start, the others derived from it in one pass), kept up to date change by change (a heartbeat moves one entry in the
 * last-report order); and the cells the filters pick. A page walks an index from its start, or from its end for a
 * descending sort, skipping whole blocks by their cell counts, so it looks at about `limit` entries plus two blocks,
 * whatever the offset; `total` is the sum of the matching cells.
 */
export class MachineListIndex {
  readonly #entries = new Map<string, Entry>();
  readonly #cellsByKey = new Map<string, Cell>();
  readonly #cells: Cell[] = [];
  readonly #cellSizes: number[] = [];
  readonly #indexes = new Map<MachineSortKey, KeyIndex>();
  /** Entries the queries looked at, in all (tests read it to prove a page does not walk the fleet). */
  visited = 0;
  /**
   * While an index is derived in the background: the index so far, and the entries that changed meanwhile. A change
   * takes its entry out of the index (found by its values before the change) and the derivation places it again at
   * the end.
   */
  #deriving: { index: KeyIndex; changed: Set<Entry> } | null = null;
  #prebuilding: Promise<void> | undefined;

  constructor(state: FleetState) {
    for (const m of state.machines()) this.#add(m);
    // The list opens sorted by host name, and every other order is derived from this one: built now, at start.
    this.#byHost();
    state.onChange((c) => {
      if (c.kind === 'machine') this.#change(c.after);
    });
  }

  query(q: MachineListQuery): MachineListResult {
    const wanted = this.#matchingCells(q);
    let total = 0;
    for (let c = 0; c < this.#cells.length; c++) if (wanted[c]) total += this.#cellSizes[c]!;
    const text = q.q ? q.q.toLowerCase() : null;
    if (total === 0) return { machines: [], total: 0, totalIsLowerBound: false };
    const desc = q.sort.startsWith('-');
    const key = q.sort.replace(/^-/, '') as MachineSortKey;
    const index = this.#index(key);
    const all = total === this.#entries.size;
    const wantedCells: number[] = [];
    for (let c = 0; c < wanted.length; c++) if (wanted[c]) wantedCells.push(c);
    const out: MachineState[] = [];
    let skip = q.offset;
    let matched = 0;
    let scanned = 0;
    let exhausted = true;
    walk: for (const block of blocksOf(index, desc)) {
      let inBlock = block.items.length;
      if (!all) {
        inBlock = 0;
        if (wantedCells.length < block.cells.size) for (const c of wantedCells) inBlock += block.cells.get(c) ?? 0;
        else for (const [cell, n] of block.cells) if (wanted[cell]) inBlock += n;
      }
      if (inBlock === 0) continue;
      if (text === null && skip >= inBlock) {
        skip -= inBlock;
        continue;
      }
      const { items, cellCol } = block;
      for (let j = 0; j < items.length; j++) {
        const i = desc ? items.length - 1 - j : j;
        this.visited++;
        if (!all && !wanted[cellCol[i]!]) continue;
        const e = items[i]!;
        if (text !== null) {
          if (scanned >= TEXT_SCAN_BUDGET) {
            exhausted = false;
            break walk;
          }
          scanned++;
          if (!e.host.includes(text) && !lower(e.m.machineId).includes(text) && !lower(e.m.snapshot?.cmid ?? '').includes(text)) continue;
          matched++;
        }
        if (skip > 0) {
          skip--;
          continue;
        }
        if (out.length < q.limit) {
          out.push(e.m);
          if (text === null && out.length === q.limit) break walk;
        }
      }
    }
    if (text === null) return { machines: out, total, totalIsLowerBound: false };
    return { machines: out, total: matched, totalIsLowerBound: !exhausted };
  }

  #matchingCells(q: MachineListQuery): boolean[] {
    const statuses = q.status ? new Set(q.status.map(String)) : null;
    const channels = q.channel ? new Set<string>(q.channel) : null;
    const kmsHost = q.kmsHost ? kmsHostIdOf(q.kmsHost) : null;
    return this.#cells.map(
      (c) =>
        (q.retired === 'all' || (q.retired === 'retired') === c.retired) &&
        (!statuses || statuses.has(c.status)) &&
        (!channels || channels.has(c.channel)) &&
        (!kmsHost || c.kmsHost === kmsHost) &&
        (q.group === undefined || c.group === q.group),
    );
  }

  /**
   * Null when a page sorted by `sort` (e.g. `-lastReportAt`) can be answered now; else a promise settled once the
   * background derivation (prebuild) has built that order. A request waits on it rather than sort the fleet on the
   * event loop (seconds at a million machines, in the first moments after start).
   */
  whenSorted(sort: string): Promise<void> | null {
    if (this.#indexes.has(sort.replace(/^-/, '') as MachineSortKey)) return null;
    return this.prebuild().catch(() => undefined);
  }

  #index(key: MachineSortKey): KeyIndex {
    let index = this.#indexes.get(key);
    if (!index) {
      index = new KeyIndex(key);
      for (const e of orderBy(this.#byHost(), key)) index.append(e);
      this.#indexes.set(key, index);
    }
    return index;
  }

  /**
   * Derives every index not built yet, in slices of about `sliceMs`, handing the event loop back between them, so no
   * request pays for one later (the collector starts this when the state is loaded). Entries that change meanwhile are
   * left out of the derived order and inserted at the end. A request waits for it (`whenSorted`); a caller that does
   * not wait and needs an index first builds it then.
   */
  prebuild(yieldToLoop: () => Promise<void> = () => new Promise((r) => setImmediate(r)), sliceMs = 10): Promise<void> {
    // One derivation at a time: they share the set of entries that changed meanwhile.
    this.#prebuilding ??= this.#prebuild(yieldToLoop, sliceMs).finally(() => {
      this.#prebuilding = undefined;
    });
    return this.#prebuilding;
  }

  async #prebuild(yieldToLoop: () => Promise<void>, sliceMs: number): Promise<void> {
    let sliceStart = performance.now();
    const pause = async (): Promise<void> => {
      if (performance.now() - sliceStart < sliceMs) return;
      await yieldToLoop();
      sliceStart = performance.now();
    };
    for (const key of MACHINE_SORT_KEYS) {
      if (this.#indexes.has(key)) continue;
      await yieldToLoop();
      sliceStart = performance.now();
      const index = new KeyIndex(key);
      const changed = new Set<Entry>();
      this.#deriving = { index, changed };
      try {
        const order = await orderInSlices(this.#byHost(), key, changed, pause);
        // Into blocks, in slices too.
        for (let i = 0; i < order.length; i++) {
          const e = order[i];
          if (e !== undefined && !changed.has(e)) index.append(e);
          if (i % 4096 === 0) await pause();
        }
        if (this.#indexes.has(key)) continue;
        for (const e of changed) index.insert(e);
        this.#indexes.set(key, index);
      } finally {
        this.#deriving = null;
      }
    }
  }

  /** Every entry by host name, then id: the hostname index flattened (built first, by one sort). */
  #byHost(): Entry[] {
    let index = this.#indexes.get('hostname');
    if (!index) {
      const entries = [...this.#entries.values()];
      entries.sort(comparator('hostname'));
      index = new KeyIndex('hostname');
      for (const e of entries) index.append(e);
      this.#indexes.set('hostname', index);
    }
    return index.known.blocks.flatMap((b) => b.items);
  }

  #cellOf(m: MachineState): Cell {
    const retired = m.retired !== null;
    const status = statusKeyOf(m);
    const channel = channelKeyOf(m);
    const k = `${retired ? 1 : 0}\u0000${status}\u0000${channel}\u0000${m.kmsHostId ?? ''}\u0000${m.group}`;
    let c = this.#cellsByKey.get(k);
    if (!c) {
      c = { id: this.#cells.length, retired, status, channel, group: m.group, kmsHost: m.kmsHostId, groupKey: lower(m.group) };
      this.#cellsByKey.set(k, c);
      this.#cells.push(c);
      this.#cellSizes.push(0);
    }
    return c;
  }

  #entryOf(m: MachineState): Entry {
    return { m, cell: this.#cellOf(m), host: lower(m.hostname) };
  }

  #add(m: MachineState): Entry {
    const e = this.#entryOf(m);
    this.#cellSizes[e.cell.id]!++;
    this.#entries.set(m.machineId, e);
    return e;
  }

  #change(m: MachineState): void {
    const e = this.#entries.get(m.machineId);
    if (!e) {
      const added = this.#add(m);
      this.#deriving?.changed.add(added);
      for (const index of this.#indexes.values()) index.insert(added);
      return;
    }
    if (this.#deriving) {
      this.#deriving.index.remove(e);
      this.#deriving.changed.add(e);
    }
    const was = e.m;
    if (
      was.hostname === m.hostname &&
      was.group === m.group &&
      was.primary === m.primary &&
      was.kmsHostId === m.kmsHostId &&
      was.retired === m.retired &&
      was.snapshot?.cmid === m.snapshot?.cmid
    ) {
      // A heartbeat: only the last-report order moves.
      const index = was.lastReportAt !== m.lastReportAt ? this.#indexes.get('lastReportAt') : undefined;
      index?.remove(e);
      e.m = m;
      index?.insert(e);
      return;
    }
    const next = this.#entryOf(m);
    const hostMoved = next.host !== e.host;
    const moved: KeyIndex[] = [];
    for (const index of this.#indexes.values()) {
      if (hostMoved || valueOf(next, index.key) !== valueOf(e, index.key)) {
        index.remove(e);
        moved.push(index);
      } else if (next.cell !== e.cell) {
        index.recell(e, e.cell.id, next.cell.id);
      }
    }
    if (next.cell !== e.cell) {
      this.#cellSizes[e.cell.id]!--;
      this.#cellSizes[next.cell.id]!++;
    }
    Object.assign(e, next);
    for (const index of moved) index.insert(e);
  }
}

/**
 * `orderBy` in slices (`pause` yields when a slice has run long enough). An entry that changes meanwhile lands in
 * `dirty` and may sit at a stale place or be missing (a hole): the caller skips those and inserts them afresh.
 */
async function orderInSlices(
  byHost: readonly Entry[],
  key: MachineSortKey,
  dirty: ReadonlySet<Entry>,
  pause: () => Promise<void>,
): Promise<Array<Entry | undefined>> {
  const steps = ordering(byHost, key, dirty);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await pause();
  }
}

/** Lower case, keeping the original string when it already is (a million machines, a million strings fewer). */
function lower(s: string): string {
  const l = s.toLowerCase();
  return l === s ? s : l;
}

/**
 * The entries in the order of `key`, from the entries in host-name order (ties by host name, then id, are then kept
 * by grouping or a stable sort, not by comparing host names again): one pass to group by value and a sort of the
 * distinct values, or a stable numeric sort for instants.
 */
function orderBy(byHost: readonly Entry[], key: MachineSortKey): Entry[] {
  const steps = ordering(byHost, key, NOTHING_DIRTY);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value as Entry[];
  }
}

const NOTHING_DIRTY: ReadonlySet<Entry> = new Set();

/**
 * The ordering itself, as steps: it yields every few thousand entries, where a sliced build may pause. Entries in
 * `dirty` are left out of the instant orders (their value may no longer be the one sorted).
 */
function* ordering(byHost: readonly Entry[], key: MachineSortKey, dirty: ReadonlySet<Entry>): Generator<void, Array<Entry | undefined>, void> {
  const CHUNK = 4096;
  if (key === 'hostname') return [...byHost];
  if (key === 'lastReportAt' || key === 'graceExpiresAt') {
    // Mostly distinct instants: the values sorted as a typed array, then each entry (in host-name order, which equal
    // values keep) dropped into the next free slot of its value, found by binary search. No comparator calls.
    const known: Entry[] = [];
    const values: number[] = [];
    const nulls: Entry[] = [];
    for (let i = 0; i < byHost.length; i++) {
      const e = byHost[i]!;
      const v = valueOf(e, key) as number | null;
      if (v === null) nulls.push(e);
      else {
        known.push(e);
        values.push(v);
      }
      if (i % CHUNK === 0) yield;
    }
    const sorted = Float64Array.from(values).sort();
    yield;
    const used = new Int32Array(sorted.length);
    const out: Array<Entry | undefined> = new Array(byHost.length);
    for (let j = 0; j < known.length; j++) {
      const e = known[j]!;
      if (dirty.has(e)) continue;
      const v = values[j]!;
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid]! < v) lo = mid + 1;
        else hi = mid;
      }
      out[lo + used[lo]!++] = e;
      if (j % CHUNK === 0) yield;
    }
    let i = known.length;
    for (const e of nulls) out[i++] = e;
    return out;
  }
  const groups = new Map<Value, Entry[]>();
  for (let i = 0; i < byHost.length; i++) {
    const e = byHost[i]!;
    const v = valueOf(e, key);
    const g = groups.get(v);
    if (g) g.push(e);
    else groups.set(v, [e]);
    if (i % CHUNK === 0) yield;
  }
  const values = [...groups.keys()].filter((v) => v !== null) as Array<string | number>;
  values.sort((a, b) => (a === b ? 0 : a < b ? -1 : 1));
  if (groups.has(null)) values.push(null as unknown as string);
  const out: Entry[] = [];
  for (const v of values) {
    const g = groups.get(v)!;
    for (let i = 0; i < g.length; i++) {
      out.push(g[i]!);
      if (i % CHUNK === 0) yield;
    }
  }
  return out;
}
