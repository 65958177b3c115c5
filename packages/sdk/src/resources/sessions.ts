import type { Transport } from '../core/transport';
import { SessionEvents } from './session-events';

/** `/sessions`: for now the events sub-resource. */
export class Sessions {
  readonly events: SessionEvents;

  constructor(transport: Transport) {
    this.events = new SessionEvents(transport);
  }
}
