import { loadModelsConfig, ModelCatalog } from '@stratus/models';
import { startScriptedModel, type ScriptedModel } from '@stratus/testing';
import { ModelRepository, parseWorkerEnv } from '@stratus/worker';

let model: ScriptedModel;
beforeAll(async () => {
  // Every call hangs until its turn cancels it: what is open at the model is what the worker let through.
  model = await startScriptedModel({ models: ['m'], respond: () => ({ kind: 'hang' }) });
});
afterAll(() => model.close());

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('STRATUS_MODEL_CONCURRENCY', () => {
  it('keeps at most that many model calls open; the others wait in order, and a cancel reaches one still waiting', async () => {
    const catalog = new ModelCatalog(loadModelsConfig({ STRATUS_MODEL_PROVIDERS: JSON.stringify([{ name: 'p', base_url: model.baseURL, models: ['m'] }]) }));
    const repository = new ModelRepository(catalog, parseWorkerEnv({ STRATUS_MODEL_CONCURRENCY: '2' }));
    const turns = ['a', 'b', 'c', 'd'].map((text) => {
      const cancel = new AbortController();
      const call = repository.stream({ model: 'm', messages: [{ role: 'user', content: text }], tools: [], signal: cancel.signal, onText: () => undefined });
      return { cancel, outcome: call.then(() => 'answered', (error: unknown) => error) };
    });
    await until(() => model.requests.length === 2);
    expect(model.requests.map((r) => r.body.messages[0]!.content)).toEqual(['a', 'b']);

    // A turn cancelled while it waits for a slot ends with its reason and never reaches the model.
    turns[3]!.cancel.abort(new Error('cancelled while waiting'));
    expect(await turns[3]!.outcome).toEqual(new Error('cancelled while waiting'));
    // A slot freed goes to the next in line.
    turns[0]!.cancel.abort(new Error('done'));
    await until(() => model.requests.length === 3);
    expect(model.requests[2]!.body.messages[0]!.content).toBe('c');

    for (const turn of turns) turn.cancel.abort(new Error('done'));
    await Promise.all(turns.map((t) => t.outcome));
    await model.settled();
    expect(model.requests.map((r) => r.body.messages[0]!.content)).toEqual(['a', 'b', 'c']);
  });
});
