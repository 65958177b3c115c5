import { Transport, type ClientOptions } from './core/transport';
import { Sessions } from './resources/sessions';

/** The Stratus API client: `new Stratus({ baseURL, token }).sessions.events.stream(id)`. */
export class Stratus {
  readonly sessions: Sessions;

  constructor(options: ClientOptions) {
    const transport = new Transport(options);
    this.sessions = new Sessions(transport);
  }
}
