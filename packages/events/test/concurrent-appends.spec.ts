import type { PrismaClient } from '@stratus/db';
import fc from 'fast-check';
import { EventStore, type AppendOutcome, type NewEvent } from '../src';
import { newSession, useEventsDatabase } from './fixture';

// Property tier on real PostgreSQL: appends from writers on connections of their own, racing on one
// session, with dedupe keys drawn from a small set so that they collide.
const WRITERS = 4;
const fx = useEventsDatabase('stratus_concurrent_appends');
let clients: PrismaClient[];
let stores: EventStore[];

beforeAll(() => {
  clients = Array.from({ length: WRITERS }, () => fx.client({ poolSize: 2 }));
  stores = clients.map((client) => new EventStore(client, fx.publisher, fx.redisKeyPrefix));
});

/** An event with a dedupe key from a set of 6 (undefined: none). */
const anEvent = fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined });
/** One append: its events, and whether it counts usage under its first event's key. */
const anAppend = fc.record({ keys: fc.array(anEvent, { minLength: 1, maxLength: 4 }), countsUsage: fc.boolean() });
/** Each writer's appends, made one after another; the writers race each other. */
const aRace = fc.array(fc.array(anAppend, { minLength: 1, maxLength: 5 }), { minLength: WRITERS, maxLength: WRITERS });

function eventsOf(keys: (number | undefined)[]): NewEvent[] {
  return keys.map((key) => ({ type: 'agent.message', payload: { content: [] }, processed: true, dedupeKey: key === undefined ? undefined : `k${key}` }));
}

describe('appends from concurrent writers', () => {
  it('keep the sequence gap-free and unique, store each dedupe key once, and count usage once per key', async () => {
    await fc.assert(
      fc.asyncProperty(aRace, async (race) => {
        const { sessionId } = await newSession(clients[0]!, { webhook: true });
        const made: { keys: (number | undefined)[]; usageKey?: string; outcome: AppendOutcome }[] = [];
        await Promise.all(
          race.map(async (appends, writer) => {
            for (const { keys, countsUsage } of appends) {
              const usageKey = countsUsage && keys[0] !== undefined ? `k${keys[0]}` : undefined;
              const outcome = await stores[writer]!.appendWithOutcome(clients[writer]!, sessionId, eventsOf(keys), { usage: usageKey ? { key: usageKey, input: 1, output: 0 } : undefined });
              made.push({ keys, usageKey, outcome });
            }
          }),
        );

        const prisma = clients[0]!;
        const stored = await prisma.event.findMany({ where: { sessionId }, orderBy: { seq: 'asc' } });
        const session = await prisma.session.findUniqueOrThrow({ where: { id: sessionId } });
        // Gap-free and unique: 1..n, and the session's counter at n.
        expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i + 1));
        expect(session.lastSeq).toBe(stored.length);
        // Each key once; every keyless event of every append.
        const allKeys = new Set(made.flatMap((m) => m.keys.filter((k) => k !== undefined)));
        const keyless = made.flatMap((m) => m.keys).filter((k) => k === undefined).length;
        expect(stored.filter((e) => e.dedupeKey !== null).map((e) => e.dedupeKey).sort()).toEqual([...allKeys].map((k) => `k${k}`).sort());
        expect(stored.length).toBe(allKeys.size + keyless);
        // Every writer was answered with the one stored row of a key, and what it created is what it was told is new.
        const byId = new Map(stored.map((e) => [e.id, e]));
        for (const { keys, outcome } of made) {
          expect(outcome.rows).toHaveLength(keys.length);
          outcome.rows.forEach((row, i) => {
            expect(byId.get(row.id)).toMatchObject({ seq: row.seq, dedupeKey: keys[i] === undefined ? null : `k${keys[i]}` });
          });
        }
        expect(made.flatMap((m) => m.outcome.fresh.map((row) => row.id)).sort()).toEqual(stored.map((e) => e.id).sort());
        // Usage is counted by the append that stored its key, never again by a replay of it.
        const counted = made.filter((m) => m.usageKey !== undefined && m.outcome.fresh.some((row) => row.dedupeKey === m.usageKey)).length;
        expect(session.inputTokens).toBe(counted);
        // The outbox: one delivery per stored event, written with it.
        const deliveries = await prisma.webhookDelivery.findMany({ where: { sessionId }, select: { eventId: true } });
        expect(deliveries.map((d) => d.eventId).sort()).toEqual(stored.map((e) => e.id).sort());
      }),
      { numRuns: 25 },
    );
  });
});
