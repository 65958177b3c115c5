import type { SessionStatus } from '@stratus/contracts';
import { canTransition, createdStatus, SESSION_TRANSITIONS, SessionTransitionError, statusAfter, type SessionTransition } from './session-status';

const STATUSES: SessionStatus[] = ['idle', 'processing', 'canceling'];

// The machine of api.md, written out independently of the table: [transition, from] → status after
// (null: the session is gone). Every pair not listed is refused.
const ALLOWED: [SessionTransition, SessionStatus, SessionStatus | null][] = [
  ['wake', 'idle', 'processing'],
  ['interrupt', 'processing', 'canceling'],
  ['cancel', 'processing', 'canceling'],
  ['end', 'processing', 'idle'],
  ['end', 'canceling', 'idle'],
  ['next', 'processing', 'processing'],
  ['next', 'canceling', 'processing'],
  ['archive', 'idle', 'idle'],
  ['delete', 'idle', null],
  ['delete', 'processing', null],
  ['delete', 'canceling', null],
];

const transitions = Object.keys(SESSION_TRANSITIONS) as SessionTransition[];
const every = transitions.flatMap((transition) => STATUSES.map((from) => [transition, from] as const));
const allowed = (transition: SessionTransition, from: SessionStatus) => ALLOWED.find(([t, f]) => t === transition && f === from);

describe('the session status table', () => {
  it('names exactly the transitions of the status machine', () => {
    expect(transitions.sort()).toEqual(['archive', 'cancel', 'delete', 'end', 'interrupt', 'next', 'wake']);
  });

  it.each(ALLOWED)('allows %s from %s, to %s', (transition, from, to) => {
    expect(canTransition(from, transition)).toBe(true);
    expect(statusAfter(from, transition)).toBe(to);
  });

  it.each(every.filter(([transition, from]) => !allowed(transition, from)))('refuses %s from %s', (transition, from) => {
    expect(canTransition(from, transition)).toBe(false);
    expect(() => statusAfter(from, transition)).toThrow(SessionTransitionError);
    expect(() => statusAfter(from, transition)).toThrow(`a ${from} session cannot ${transition}`);
  });

  it('refuses 10 of the 21 pairs: the table holds nothing beyond the machine', () => {
    expect(every.filter(([transition, from]) => !canTransition(from, transition))).toHaveLength(every.length - ALLOWED.length);
    expect(every.length - ALLOWED.length).toBe(10);
  });

  it('creates a session idle, or processing when it has initial events', () => {
    expect(createdStatus(false)).toBe('idle');
    expect(createdStatus(true)).toBe('processing');
  });
});
