import { planQueueWorkers, type QueueProcessor } from './queue-processor';

const turns: QueueProcessor = { queue: 'session-turns', process: async () => undefined };

describe('planQueueWorkers', () => {
  it('pairs each enabled queue with its processor', () => {
    expect(planQueueWorkers([{ queue: 'session-turns', concurrency: 3 }], [turns])).toEqual([{ setting: { queue: 'session-turns', concurrency: 3 }, processor: turns }]);
    expect(planQueueWorkers([], [turns])).toEqual([]);
  });

  it('refuses a queue this worker has no processor for, naming the variable', () => {
    expect(() => planQueueWorkers([{ queue: 'session-turns', concurrency: 1 }], [])).toThrow(/STRATUS_WORKER_QUEUES: queue "session-turns" has no processor/);
  });
});
