import { Injectable } from '@nestjs/common';

/**
 * Whether this process still wants new work. A module that drains on shutdown (the gateway) marks
 * it, and /readyz answers 503 from then on so load balancers stop routing here.
 */
@Injectable()
export class Readiness {
  private drainingNow = false;

  get draining(): boolean {
    return this.drainingNow;
  }

  /** From now on the process is draining; there is no way back (it is shutting down). */
  drain(): void {
    this.drainingNow = true;
  }
}
