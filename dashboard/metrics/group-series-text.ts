import { escapeLabelValue, formatValue, gaugeHeader } from './exposition-text.js';
import type { FleetAggregates } from './fleet-aggregates.js';
import type { FleetTimeAggregates } from './fleet-time-aggregates.js';
import { AGENT_STATE_LABELS, CHANNEL_LABELS, EXPIRY_WAVE_DAYS, LICENSE_STATUS_LABELS } from './metric-labels.js';

const MACHINES_HEADER = gaugeHeader(
  'vawatch_machines',
  'Live machines by the LicenseStatus and channel of their primary Windows product, and group; every combination is exported, 0 where empty.',
);
const AGENTS_HEADER = gaugeHeader('vawatch_agents', 'Agents of live machines by group: up (reported within the stale limit) or stale.');
const WAVE_HEADER = gaugeHeader(
  'vawatch_expiry_wave_machines',
  'Machines whose primary Windows product reaches Notification within the horizon if nothing renews or activates it (grace ending; KMS clients: 180 days plus 30 days of OOT grace), by group; cumulative.',
);

/** Every status × channel of `vawatch_machines`, as the text before the group's value. */
const MACHINE_CELLS = LICENSE_STATUS_LABELS.flatMap((status) =>
  CHANNEL_LABELS.map((channel) => ({ status, channel, prefix: `vawatch_machines{license_status="${status}",channel="${channel}",group="` })),
);

/** What rendering cost so far, counted in pieces of work (tests assert on it: a scrape must not redo what did not change). */
export interface GroupSeriesWork {
  /** Groups whose `vawatch_machines` lines (every status × channel) were rendered. */
  machineGroupsRendered: number;
  /** Groups whose `vawatch_agents` lines were rendered (their up / stale counts moved). */
  agentGroupsRendered: number;
  /** Groups whose `vawatch_expiry_wave_machines` lines were rendered. */
  waveGroupsRendered: number;
  /** Family texts joined again from their per-group pieces. */
  familiesJoined: number;
}

interface TimedBlock {
  values: number[];
  text: string;
}

export interface GroupSeriesDeps {
  aggregates: FleetAggregates;
  time: FleetTimeAggregates;
  /** Groups the source knows beyond those with live machines (their agents and wave read 0). */
  sourceGroups: () => Iterable<string>;
  staleAfterMs: () => number;
}

/**
 * The three families whose size grows with the groups — `vawatch_machines` (statuses × channels × groups),
 * `vawatch_agents` and `vawatch_expiry_wave_machines` — written as exposition text straight from the maintained
 * aggregates instead of going through prom-client (which would re-set and re-format ~14,000 label sets per scrape at
 * 200 groups). Each group's lines are cached: `vawatch_machines` is re-rendered only for the groups a change touched
 * since the last scrape; the time-dependent two are re-read for each group at scrape time (a running tally's answer,
 * O(groups), never O(machines)) and re-rendered only where a value moved. A family's text is joined and encoded to
 * bytes again only when one of its groups changed: a scrape of an unchanged family writes the bytes it already has
 * (at 200 groups the three are ~1.1 MB, ~2.5 ms to encode each time).
 */
export class GroupSeriesText {
  readonly work: GroupSeriesWork = { machineGroupsRendered: 0, agentGroupsRendered: 0, waveGroupsRendered: 0, familiesJoined: 0 };
  readonly #d: GroupSeriesDeps;
  readonly #machineBlocks = new Map<string, string>();
  readonly #dirty = new Set<string>();
  #machineOrder: string[] = [];
  #machinesFamily: Buffer | undefined;
  readonly #agentBlocks = new Map<string, TimedBlock>();
  readonly #waveBlocks = new Map<string, TimedBlock>();
  #agentsFamily: Buffer | undefined;
  #waveFamily: Buffer | undefined;

  constructor(d: GroupSeriesDeps) {
    this.#d = d;
  }

  /** The group's machine counts moved (FleetAggregates calls this per change). */
  groupChanged(group: string): void {
    this.#dirty.add(group);
  }

  /** The three families' exposition for `now`, as bytes to write in order. */
  parts(now: number): Buffer[] {
    return [this.#machinesPart(), ...this.#timedParts(now)];
  }

  #machinesPart(): Buffer {
    if (this.#machinesFamily !== undefined && this.#dirty.size === 0) return this.#machinesFamily;
    let membersChanged = this.#machinesFamily === undefined;
    for (const g of this.#dirty) {
      if (this.#d.aggregates.has(g)) {
        if (!this.#machineBlocks.has(g)) membersChanged = true;
        this.#machineBlocks.set(g, this.#renderMachines(g));
        this.work.machineGroupsRendered++;
      } else if (this.#machineBlocks.delete(g)) {
        membersChanged = true;
      }
    }
    this.#dirty.clear();
    if (membersChanged) this.#machineOrder = [...this.#machineBlocks.keys()].sort();
    this.work.familiesJoined++;
    const text = [MACHINES_HEADER, ...this.#machineOrder.map((g) => this.#machineBlocks.get(g)!)].join('');
    return (this.#machinesFamily = Buffer.from(text, 'utf8'));
  }

  #renderMachines(group: string): string {
    const agg = this.#d.aggregates;
    const tail = `${escapeLabelValue(group)}"} `;
    return MACHINE_CELLS.map((c) => `${c.prefix}${tail}${agg.count(group, c.status, c.channel)}\n`).join('');
  }

  #timedParts(now: number): [Buffer, Buffer] {
    const groups = new Set<string>(this.#d.aggregates.groups());
    for (const g of this.#d.sourceGroups()) groups.add(g);
    const staleAfterMs = this.#d.staleAfterMs();
    let agentsChanged = this.#agentsFamily === undefined || dropGone(this.#agentBlocks, groups);
    let waveChanged = this.#waveFamily === undefined || dropGone(this.#waveBlocks, groups);
    for (const group of groups) {
      const a = this.#d.time.agents(group, now, staleAfterMs);
      const agents = AGENT_STATE_LABELS.map((state) => (a ? a[state] : 0));
      if (rerendered(this.#agentBlocks, group, agents, (label, v, i) => `vawatch_agents{state="${AGENT_STATE_LABELS[i]}",group="${label}"} ${v}\n`)) {
        this.work.agentGroupsRendered++;
        agentsChanged = true;
      }
      const w = this.#d.time.wave(group, now);
      const wave = EXPIRY_WAVE_DAYS.map((_, i) => w?.[i] ?? 0);
      if (rerendered(this.#waveBlocks, group, wave, (label, v, i) => `vawatch_expiry_wave_machines{within_days="${EXPIRY_WAVE_DAYS[i]}",group="${label}"} ${v}\n`)) {
        this.work.waveGroupsRendered++;
        waveChanged = true;
      }
    }
    if (agentsChanged || waveChanged) {
      const order = [...groups].sort();
      if (agentsChanged) this.#agentsFamily = join(AGENTS_HEADER, order, this.#agentBlocks);
      if (waveChanged) this.#waveFamily = join(WAVE_HEADER, order, this.#waveBlocks);
      this.work.familiesJoined += Number(agentsChanged) + Number(waveChanged);
    }
    return [this.#agentsFamily!, this.#waveFamily!];
  }
}

/** Renders a group's lines again when one of its values moved (or it is new); true when it did. */
function rerendered(
  blocks: Map<string, TimedBlock>,
  group: string,
  values: number[],
  line: (label: string, value: string, i: number) => string,
): boolean {
  const block = blocks.get(group);
  if (block && block.values.every((v, i) => v === values[i])) return false;
  const label = escapeLabelValue(group);
  blocks.set(group, { values, text: values.map((v, i) => line(label, formatValue(v), i)).join('') });
  return true;
}

/** Forgets the blocks of groups no longer known; true when there were any (new groups show up as moved values). */
function dropGone(blocks: Map<string, TimedBlock>, groups: ReadonlySet<string>): boolean {
  let dropped = false;
  for (const g of blocks.keys()) {
    if (!groups.has(g)) {
      blocks.delete(g);
      dropped = true;
    }
  }
  return dropped;
}

function join(header: string, order: readonly string[], blocks: ReadonlyMap<string, TimedBlock>): Buffer {
  return Buffer.from([header, ...order.map((g) => blocks.get(g)?.text ?? '')].join(''), 'utf8');
}
