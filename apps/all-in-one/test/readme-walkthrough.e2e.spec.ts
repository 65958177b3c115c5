import { startAllInOne, type AllInOneProcess } from '@stratus/testing';
import { expectWalkthroughToPass } from './support/readme';

// Runs the README's walk-through, command for command, against the built all-in-one process, as a
// new user would after the Quickstart. It fails when the README and the product drift apart.

let server: AllInOneProcess;

beforeAll(async () => {
  server = await startAllInOne({ databaseName: 'stratus_readme' });
}, 240_000);

afterAll(async () => {
  await server?.stop();
});

describe('the README walk-through', () => {
  it('runs end to end: a real turn with the demo model and a tool call in the sandbox', () => {
    expectWalkthroughToPass(server.baseUrl);
  });
});
