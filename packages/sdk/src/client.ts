import { Transport, type ClientOptions } from './core/transport.js';
import { Agents } from './resources/agents.js';
import { Environments } from './resources/environments.js';
import { Models } from './resources/models.js';
import { Sessions } from './resources/sessions.js';

/**
 * The Stratus API client:
 * `const stratus = new Stratus({ baseURL: 'http://localhost:8080', token: 'pt-…' })`, then
 * `stratus.agents.create(…)`, `for await (const s of stratus.sessions.list())`, `stratus.sessions.run(id, 'hi')`.
 */
export class Stratus {
  readonly agents: Agents;
  readonly environments: Environments;
  readonly sessions: Sessions;
  readonly models: Models;

  constructor(options: ClientOptions) {
    const transport = new Transport(options);
    this.agents = new Agents(transport);
    this.environments = new Environments(transport);
    this.sessions = new Sessions(transport);
    this.models = new Models(transport);
  }
}
