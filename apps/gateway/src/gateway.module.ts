import { type DynamicModule, Module } from '@nestjs/common';
import { CoreModule, type ServerEnv } from '@stratus/nest-common';
import { GATEWAY_ENV, type GatewayEnv } from './config/gateway-env';
import { HistoryRepository } from './history/history.repository';
import { UnusedConnections } from './http/unused-connections';
import { StreamLimits } from './limits/stream-limits.service';
import { StreamSlotsRepository } from './limits/stream-slots.repository';
import { TokenStatusRepository } from './limits/token-status.repository';
import { LiveSubscriberRepository } from './live/live-subscriber.repository';
import { StreamHub } from './stream/stream-hub.service';
import { StreamController } from './stream/stream.controller';
import { StreamService } from './stream/stream.service';

/**
 * The SSE gateway: `GET /sessions/{id}/events/stream`. It relies on CoreModule (auth, rate
 * limit, error envelope, clients), which the process's root module imports once.
 */
@Module({})
export class GatewayModule {
  static forRoot(env: GatewayEnv): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [StreamController],
      providers: [
        { provide: GATEWAY_ENV, useValue: env },
        HistoryRepository,
        LiveSubscriberRepository,
        StreamHub,
        StreamLimits,
        StreamService,
        StreamSlotsRepository,
        TokenStatusRepository,
        UnusedConnections,
      ],
    };
  }
}

/** The root module of the gateway deployed on its own. */
@Module({})
export class GatewayAppModule {
  static forRoot(env: ServerEnv, gatewayEnv: GatewayEnv): DynamicModule {
    return { module: GatewayAppModule, imports: [CoreModule.forRoot(env), GatewayModule.forRoot(gatewayEnv)] };
  }
}
