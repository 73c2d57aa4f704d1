import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AgentRegistry, SeqMarks, type AgentRecord } from '../../dashboard/server/identity/agent-registry.js';
import { sha256 } from '../../dashboard/server/identity/secrets.js';
import { CORE_MIGRATIONS } from '../../dashboard/server/store/core-migrations.js';
import { migrate } from '../../dashboard/server/store/database.js';

function database() {
  const db = new Database(':memory:');
  migrate(db, 'core', CORE_MIGRATIONS);
  return db;
}
function agent(agentId: string, machineId: string, enrolledAt: number, revokedAt: number | null = null): AgentRecord {
  return { agentId, machineId, hostname: `host-${machineId}`, tokenHash: sha256(`token-${agentId}`), enrolledAt, revokedAt, lastReportAt: null, seqs: new SeqMarks() };
}

describe('AgentRegistry loading at start', () => {
  it('rebuilds tokens, seqs of every epoch and the current agent of each machine from SQLite', () => {
    const db = database();
    const first = new AgentRegistry(db);
    for (const a of [agent('agt_b', 'm-1', 100, 150), agent('agt_a', 'm-1', 200), agent('agt_c', 'm-2', 50), agent('agt_é', 'm-3', 70), agent('agt_ｚ', 'm-4', 70), agent('agt_😀', 'm-5', 70)]) {
      first.writeAgent(a);
      if (a.revokedAt !== null) first.writeRevoked(a.agentId, a.revokedAt);
    }
    first.writeSeq('agt_a', 1, 40);
    first.writeSeq('agt_a', 2, 3);
    first.writeSeq('agt_c', 1, 7);
    first.writeSeq('agt_é', 4, 9);
    // SQLite sorts UTF-8 bytes (ｚ before 😀), JavaScript UTF-16 units (😀 before ｚ): still each agent's own seqs.
    first.writeSeq('agt_ｚ', 1, 11);
    first.writeSeq('agt_😀', 1, 12);
    first.writeSeq('agt_zz-gone', 1, 5); // an orphan row is ignored
    first.writeSeq('agt_😀-gone', 1, 6);

    const reg = new AgentRegistry(db);
    expect([reg.get('agt_a')?.seqs.get(1), reg.get('agt_a')?.seqs.get(2), reg.get('agt_a')?.seqs.get(3)]).toEqual([40, 3, undefined]);
    expect(reg.get('agt_c')?.seqs.get(1)).toBe(7);
    expect(reg.get('agt_é')?.seqs.get(4)).toBe(9);
    expect([reg.get('agt_ｚ')?.seqs.get(1), reg.get('agt_😀')?.seqs.get(1)]).toEqual([11, 12]);
    expect(reg.get('agt_b')?.seqs.get(1)).toBeUndefined();
    expect(reg.byToken('token-agt_a')?.agentId).toBe('agt_a');
    expect(reg.byToken('token-agt_b')).toBeUndefined(); // revoked
    expect(reg.currentOf('m-1')?.agentId).toBe('agt_a'); // the newest enrolment, revoked or not
    expect(reg.currentOf('m-2')?.agentId).toBe('agt_c');
    expect(reg.currentOf('m-9')).toBeUndefined();

    // Enrolled after start at the same instant as the loaded one: the newer enrolment is current; revoking keeps it so.
    const again = agent('agt_d', 'm-2', 50);
    reg.writeAgent(again);
    reg.applyAgent(again);
    expect(reg.currentOf('m-2')?.agentId).toBe('agt_d');
    reg.writeRevoked('agt_d', 60);
    reg.applyRevoked('agt_d', 60);
    expect(reg.currentOf('m-2')).toMatchObject({ agentId: 'agt_d', revokedAt: 60 });
    expect(reg.byToken('token-agt_d')).toBeUndefined();
    expect(reg.info('agt_d')).toEqual({ agentId: 'agt_d', machineId: 'm-2', hostname: 'host-m-2', enrolledAt: new Date(50).toISOString(), lastReportAt: null, revokedAt: new Date(60).toISOString() });
    expect(reg.info('agt_nobody')).toBeUndefined();
    db.close();
  });

  it('SeqMarks keeps one mark per epoch', () => {
    const s = new SeqMarks();
    expect(s.get(1)).toBeUndefined();
    s.set(2, 5);
    s.set(2, 6);
    s.set(3, 1);
    s.set(1, 9);
    expect([s.get(1), s.get(2), s.get(3), s.get(4)]).toEqual([9, 6, 1, undefined]);
  });
});

describe('AgentRegistry tokens: found by their full hash, and only while they are the live agent\'s', () => {
  it('a cached token stops working the moment its agent is re-tokened or revoked; seqs and last report carry over', () => {
    const db = database();
    const reg = new AgentRegistry(db);
    const a = agent('agt_a', 'm-1', 100);
    reg.writeAgent(a);
    reg.applyAgent(a);
    expect(reg.byToken('token-agt_a')?.agentId).toBe('agt_a'); // from the index, then remembered
    expect(reg.byToken('token-agt_a')?.agentId).toBe('agt_a');
    expect(reg.byToken('token-agt_a ')).toBeUndefined(); // exact: one character more is another hash
    expect(reg.byToken('')).toBeUndefined();
    expect(reg.get('agt_a')?.tokenHash).toBe(sha256('token-agt_a'));
    reg.applySeq('agt_a', 1, 40);
    reg.applySeq('agt_a', 2, 3);
    reg.applyLastReport('agt_a', 500);

    // Re-enrolled with its previous token: same agent, new token.
    const retokened = { ...a, tokenHash: sha256('second-token') };
    reg.writeAgent(retokened);
    reg.applyAgent(retokened);
    expect(reg.byToken('token-agt_a')).toBeUndefined();
    const now = reg.byToken('second-token');
    expect(now).toMatchObject({ agentId: 'agt_a', machineId: 'm-1', enrolledAt: 100, lastReportAt: 500, revokedAt: null });
    expect([now?.seqs.get(1), now?.seqs.get(2), now?.tokenHash]).toEqual([40, 3, sha256('second-token')]);

    reg.writeRevoked('agt_a', 600);
    reg.applyRevoked('agt_a', 600);
    expect(reg.byToken('second-token')).toBeUndefined();
    expect([reg.get('agt_a')?.seqs.get(1), reg.get('agt_a')?.seqs.get(2), reg.get('agt_a')?.revokedAt]).toEqual([40, 3, 600]);
    db.close();
  });
});

describe('AgentRegistry loading beside the fleet state', () => {
  it('takes the machine\'s strings only where they are equal: an agent enrolled under another host name keeps its own', () => {
    const db = database();
    const first = new AgentRegistry(db);
    for (const a of [agent('agt_a', 'm-1', 100), agent('agt_b', 'm-2', 100), agent('agt_c', 'm-3', 100, 150)]) first.writeAgent(a);
    first.writeSeq('agt_a', 1, 7);
    const machines = new Map([
      ['m-1', { machineId: 'm-1', agentId: 'agt_a', hostname: 'host-m-1' }],
      ['m-2', { machineId: 'm-2', agentId: 'agt_other', hostname: 'renamed-since' }],
    ]);
    const reg = new AgentRegistry(db, { machine: (id) => machines.get(id) });
    expect(reg.info('agt_a')).toMatchObject({ agentId: 'agt_a', machineId: 'm-1', hostname: 'host-m-1' });
    expect(reg.get('agt_a')?.seqs.get(1)).toBe(7);
    expect(reg.info('agt_b')).toMatchObject({ agentId: 'agt_b', machineId: 'm-2', hostname: 'host-m-2' });
    expect(reg.info('agt_c')).toMatchObject({ agentId: 'agt_c', machineId: 'm-3', hostname: 'host-m-3' }); // no machine
    expect(reg.byToken('token-agt_b')?.agentId).toBe('agt_b');
    expect(reg.size).toBe(3);
    db.close();
  });
});

describe('AgentRegistry pages: the agent list never sorts every agent', () => {
  it('walks newest enrolment first, ties by id, with a cursor that survives enrolments in between', () => {
    const db = database();
    const reg = new AgentRegistry(db);
    const all = [agent('agt_1', 'm-1', 10), agent('agt_2', 'm-2', 30), agent('agt_3', 'm-3', 20), agent('agt_4', 'm-4', 30), agent('agt_5', 'm-5', 5)];
    for (const a of all) {
      reg.writeAgent(a);
      reg.applyAgent(a);
    }
    const first = reg.page({ limit: 2 });
    expect(first.items.map((a) => a.agentId)).toEqual(['agt_4', 'agt_2']);
    expect(first.next).toEqual({ enrolledAt: 30, agentId: 'agt_2' });
    // A new enrolment lands on the first page, not in the middle of the walk.
    const late = agent('agt_6', 'm-6', 40);
    reg.writeAgent(late);
    reg.applyAgent(late);
    const second = reg.page({ limit: 2, after: first.next! });
    expect(second.items.map((a) => a.agentId)).toEqual(['agt_3', 'agt_1']);
    const third = reg.page({ limit: 2, after: second.next! });
    expect(third.items.map((a) => a.agentId)).toEqual(['agt_5']);
    expect(third.next).toBeNull();
    expect(reg.size).toBe(6);
    expect(reg.page({ limit: 10 }).items[0]?.agentId).toBe('agt_6');
  });
});

describe('AgentRegistry reads agents when first needed', () => {
  /** A registry started over a store that already holds one agent with one seq mark (epoch 1). */
  function startedOver(agentId: string, machineId: string, seq: number) {
    const db = database();
    const before = new AgentRegistry(db);
    before.writeAgent(agent(agentId, machineId, 100));
    before.writeSeq(agentId, 1, seq);
    return { db, reg: new AgentRegistry(db) };
  }

  it('holds only committed rows: an agent read inside a transaction that rolls back is read again afterwards', () => {
    const { db, reg } = startedOver('agt_a', 'm-1', 40);
    expect(reg.size).toBe(1);
    expect(() =>
      db.transaction(() => {
        reg.writeSeq('agt_a', 1, 41);
        expect(reg.get('agt_a')?.seqs.get(1)).toBe(41); // the transaction's own write
        throw new Error('rolled back');
      })(),
    ).toThrow('rolled back');
    expect(reg.get('agt_a')?.seqs.get(1)).toBe(40);
    expect(reg.byToken('token-agt_a')).toBe(reg.get('agt_a')); // one record, held from now on
    db.close();
  });

  it('counts an agent once when it is new, not when it is re-tokened or was enrolled before start', () => {
    const { db, reg } = startedOver('agt_old', 'm-1', 7);
    const fresh = agent('agt_new', 'm-2', 200);
    reg.writeAgent(fresh);
    reg.applyAgent(fresh);
    const retokened = { ...agent('agt_old', 'm-1', 100), tokenHash: sha256('second-token') };
    reg.writeAgent(retokened);
    reg.applyAgent(retokened);
    expect(reg.size).toBe(2);
    // Re-tokened without having been read since start: its seqs come along from SQLite.
    expect(reg.byToken('second-token')?.seqs.get(1)).toBe(7);
    expect(reg.currentOf('m-1')?.agentId).toBe('agt_old');
    expect(reg.currentOf('m-2')).toBe(reg.get('agt_new'));
    db.close();
  });
});
