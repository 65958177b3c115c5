import { archiveSession, cancelSession, deleteSession, newEvent, releaseSession, SessionTransitionError, type SessionRef } from '../src';
import { newSession, newWorkspace, useEventsDatabase } from './fixture';

// Integration tier: every session state write on real PostgreSQL, within its workspace and its table.
const fx = useEventsDatabase('stratus_session_state');
const workspace = () => newWorkspace(fx.prisma);
/** A session whose updated_at is in the past, so a write that touches it shows. */
const session = (status: 'idle' | 'processing' | 'canceling', turnJobId: string | null = null) =>
  newSession(fx.prisma, { status, turnJobId, updatedAt: new Date('2026-01-01T00:00:00Z') });

const row = (ref: SessionRef) => fx.prisma.session.findUnique({ where: { id: ref.sessionId }, select: { status: true, archivedAt: true, turnJobId: true, updatedAt: true, lastSeq: true } });

describe("a transition named with another workspace's id", () => {
  it('changes nothing, whatever the transition', async () => {
    const { workspaceId: other } = await workspace();
    const idle = await session('idle');
    const busy = await session('processing', 'job-1');
    const before = [await row(idle), await row(busy)];

    expect(await archiveSession(fx.prisma, { ...idle, workspaceId: other })).toBe(false);
    expect(await cancelSession(fx.prisma, { ...busy, workspaceId: other })).toBeNull();
    expect(await deleteSession(fx.prisma, { ...idle, workspaceId: other })).toBeNull();
    await releaseSession(fx.prisma, { ...busy, workspaceId: other }, 'job-1');
    await expect(
      fx.prisma.$transaction((tx) =>
        fx.store.appendWithOutcome(tx, busy.sessionId, [newEvent('session.status_idle', { stop_reason: { type: 'end_turn' } })], { workspaceId: other, transition: { name: 'end', releaseOwner: true } }),
      ),
    ).rejects.toThrow(`session ${busy.sessionId} not found`);

    expect([await row(idle), await row(busy)]).toEqual(before);
    expect(await fx.prisma.event.count({ where: { sessionId: busy.sessionId } })).toBe(0);
  });
});

describe('the writers of session state', () => {
  it('archive an idle session once, and a busy one never', async () => {
    const idle = await session('idle');
    const busy = await session('processing');
    expect(await archiveSession(fx.prisma, idle)).toBe(true);
    expect(await archiveSession(fx.prisma, idle)).toBe(false);
    expect(await archiveSession(fx.prisma, busy)).toBe(false);
    expect((await row(idle))!.archivedAt).toBeInstanceOf(Date);
    expect((await row(busy))!.archivedAt).toBeNull();
  });

  it('cancel a processing session and leave an idle or canceling one as it is', async () => {
    const busy = await session('processing');
    expect(await cancelSession(fx.prisma, busy)).toBe('canceling');
    expect(await cancelSession(fx.prisma, busy)).toBe('canceling');
    const idle = await session('idle');
    expect(await cancelSession(fx.prisma, idle)).toBe('idle');
    expect((await row(idle))!.updatedAt).toEqual(new Date('2026-01-01T00:00:00Z'));
  });

  it('release a session only for the job that owns it', async () => {
    const owned = await session('canceling', 'job-1');
    await releaseSession(fx.prisma, owned, 'job-2');
    expect(await row(owned)).toMatchObject({ status: 'canceling', turnJobId: 'job-1' });
    await releaseSession(fx.prisma, owned, 'job-1');
    expect(await row(owned)).toMatchObject({ status: 'idle', turnJobId: null });
  });

  it('delete a session in any status, returning its last sequence number', async () => {
    const busy = await session('processing');
    await fx.store.append(busy.sessionId, [newEvent('user.message', { content: [] })]);
    expect(await deleteSession(fx.prisma, busy)).toBe(1);
    expect(await row(busy)).toBeNull();
  });

  it('apply a transition made with an append, and refuse one the table does not allow before anything is stored', async () => {
    const idle = await session('idle');
    const woken = await fx.prisma.$transaction((tx) =>
      fx.store.appendWithOutcome(tx, idle.sessionId, [newEvent('user.message', { content: [] })], { workspaceId: idle.workspaceId, transition: { name: 'wake' } }),
    );
    expect(woken.status).toBe('idle');
    expect((await row(idle))!.status).toBe('processing');

    const idleAgain = await session('idle');
    await expect(
      fx.prisma.$transaction((tx) => fx.store.appendWithOutcome(tx, idleAgain.sessionId, [newEvent('user.interrupt', {})], { transition: { name: 'interrupt' } })),
    ).rejects.toThrow(SessionTransitionError);
    expect(await row(idleAgain)).toMatchObject({ status: 'idle', lastSeq: 0 });
    expect(await fx.prisma.event.count({ where: { sessionId: idleAgain.sessionId } })).toBe(0);
  });
});
