import { createPrismaClient, newId, type PrismaClient } from '@stratus/db';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';
import { Redis } from 'ioredis';
import { archiveSession, cancelSession, deleteSession, EventStore, newEvent, releaseSession, SessionTransitionError, type SessionRef } from '../src';

// Integration tier: every session state write on real PostgreSQL, within its workspace and its table.
let db: TestDatabase;
let prisma: PrismaClient;
let publisher: Redis;
let store: EventStore;

beforeAll(async () => {
  db = await createTestDatabase('stratus_session_state');
  prisma = createPrismaClient({ url: db.url });
  publisher = new Redis(TEST_REDIS_URL);
  store = new EventStore(prisma, publisher, testRedisPrefix());
});
afterAll(async () => {
  await prisma?.$disconnect();
  publisher?.disconnect();
  await db?.drop();
});

async function workspace(): Promise<{ workspaceId: string; agentId: string }> {
  const workspaceId = newId('workspace');
  const agentId = newId('agent');
  await prisma.workspace.create({ data: { id: workspaceId, name: 'w' } });
  await prisma.agent.create({ data: { id: agentId, workspaceId, currentVersion: 1, updatedAt: new Date() } });
  await prisma.agentVersion.create({ data: { agentId, version: 1, name: 'a', description: '', model: 'm', system: '', tools: [], mcpServers: [], metadata: {} } });
  return { workspaceId, agentId };
}

async function session(status: 'idle' | 'processing' | 'canceling', turnJobId: string | null = null): Promise<SessionRef> {
  const { workspaceId, agentId } = await workspace();
  const sessionId = newId('session');
  const updatedAt = new Date('2026-01-01T00:00:00Z');
  await prisma.session.create({ data: { id: sessionId, workspaceId, agentId, agentVersion: 1, environmentId: 'env_x', title: '', metadata: {}, status, turnJobId, updatedAt } });
  return { sessionId, workspaceId };
}

const row = (ref: SessionRef) => prisma.session.findUnique({ where: { id: ref.sessionId }, select: { status: true, archivedAt: true, turnJobId: true, updatedAt: true, lastSeq: true } });

describe("a transition named with another workspace's id", () => {
  it('changes nothing, whatever the transition', async () => {
    const { workspaceId: other } = await workspace();
    const idle = await session('idle');
    const busy = await session('processing', 'job-1');
    const before = [await row(idle), await row(busy)];

    expect(await archiveSession(prisma, { ...idle, workspaceId: other })).toBe(false);
    expect(await cancelSession(prisma, { ...busy, workspaceId: other })).toBeNull();
    expect(await deleteSession(prisma, { ...idle, workspaceId: other })).toBeNull();
    await releaseSession(prisma, { ...busy, workspaceId: other }, 'job-1');
    await expect(
      prisma.$transaction((tx) =>
        store.appendWithOutcome(tx, busy.sessionId, [newEvent('session.status_idle', { stop_reason: { type: 'end_turn' } })], { workspaceId: other, transition: { name: 'end', releaseOwner: true } }),
      ),
    ).rejects.toThrow(`session ${busy.sessionId} not found`);

    expect([await row(idle), await row(busy)]).toEqual(before);
    expect(await prisma.event.count({ where: { sessionId: busy.sessionId } })).toBe(0);
  });
});

describe('the writers of session state', () => {
  it('archive an idle session once, and a busy one never', async () => {
    const idle = await session('idle');
    const busy = await session('processing');
    expect(await archiveSession(prisma, idle)).toBe(true);
    expect(await archiveSession(prisma, idle)).toBe(false);
    expect(await archiveSession(prisma, busy)).toBe(false);
    expect((await row(idle))!.archivedAt).toBeInstanceOf(Date);
    expect((await row(busy))!.archivedAt).toBeNull();
  });

  it('cancel a processing session and leave an idle or canceling one as it is', async () => {
    const busy = await session('processing');
    expect(await cancelSession(prisma, busy)).toBe('canceling');
    expect(await cancelSession(prisma, busy)).toBe('canceling');
    const idle = await session('idle');
    expect(await cancelSession(prisma, idle)).toBe('idle');
    expect((await row(idle))!.updatedAt).toEqual(new Date('2026-01-01T00:00:00Z'));
  });

  it('release a session only for the job that owns it', async () => {
    const owned = await session('canceling', 'job-1');
    await releaseSession(prisma, owned, 'job-2');
    expect(await row(owned)).toMatchObject({ status: 'canceling', turnJobId: 'job-1' });
    await releaseSession(prisma, owned, 'job-1');
    expect(await row(owned)).toMatchObject({ status: 'idle', turnJobId: null });
  });

  it('delete a session in any status, returning its last sequence number', async () => {
    const busy = await session('processing');
    await store.append(busy.sessionId, [newEvent('user.message', { content: [] })]);
    expect(await deleteSession(prisma, busy)).toBe(1);
    expect(await row(busy)).toBeNull();
  });

  it('apply a transition made with an append, and refuse one the table does not allow before anything is stored', async () => {
    const idle = await session('idle');
    const woken = await prisma.$transaction((tx) =>
      store.appendWithOutcome(tx, idle.sessionId, [newEvent('user.message', { content: [] })], { workspaceId: idle.workspaceId, transition: { name: 'wake' } }),
    );
    expect(woken.status).toBe('idle');
    expect((await row(idle))!.status).toBe('processing');

    const idleAgain = await session('idle');
    await expect(
      prisma.$transaction((tx) => store.appendWithOutcome(tx, idleAgain.sessionId, [newEvent('user.interrupt', {})], { transition: { name: 'interrupt' } })),
    ).rejects.toThrow(SessionTransitionError);
    expect(await row(idleAgain)).toMatchObject({ status: 'idle', lastSeq: 0 });
    expect(await prisma.event.count({ where: { sessionId: idleAgain.sessionId } })).toBe(0);
  });
});
