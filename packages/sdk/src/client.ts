import { Transport, type ClientOptions } from './core/transport.js';
import { Agents } from './resources/agents.js';
import { Environments } from './resources/environments.js';
import { Models } from './resources/models.js';
import { Sessions } from './resources/sessions.js';
import { Vaults } from './resources/vaults.js';
import { Webhooks } from './resources/webhooks.js';

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
  readonly vaults: Vaults;
  readonly webhooks: Webhooks;

  constructor(options: ClientOptions) {
    const transport = new Transport(options);
    this.agents = new Agents(transport);
    this.environments = new Environments(transport);
    this.sessions = new Sessions(transport);
    this.models = new Models(transport);
    this.vaults = new Vaults(transport);
    this.webhooks = new Webhooks(transport);
  }
}
