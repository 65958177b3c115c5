import 'reflect-metadata';
import { RequestMethod } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, MODULE_METADATA } from '@nestjs/common/constants';
import { ApiModule } from '../api.module';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/** Every route handler of the API's controllers, with its HTTP method and interceptors. */
function routes(): { route: string; method: RequestMethod; interceptors: unknown[] }[] {
  const controllers = Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, ApiModule) as (new (...args: never[]) => object)[];
  return controllers.flatMap((controller) =>
    Object.getOwnPropertyNames(controller.prototype)
      .map((name) => ({ name, handler: (controller.prototype as Record<string, unknown>)[name] }))
      .filter(({ handler }) => typeof handler === 'function' && Reflect.hasMetadata(METHOD_METADATA, handler))
      .map(({ name, handler }) => ({
        route: `${controller.name}.${name}`,
        method: Reflect.getMetadata(METHOD_METADATA, handler as object) as RequestMethod,
        interceptors: (Reflect.getMetadata(INTERCEPTORS_METADATA, handler as object) as unknown[] | undefined) ?? [],
      })),
  );
}

describe('Idempotency-Key routes', () => {
  it('covers every POST and DELETE handler of the API', () => {
    const writes = routes().filter(({ method }) => method === RequestMethod.POST || method === RequestMethod.DELETE);
    expect(writes.length).toBeGreaterThan(20);
    const uncovered = writes.filter(({ interceptors }) => !interceptors.includes(IdempotencyInterceptor)).map(({ route }) => route);
    expect(uncovered).toEqual([]);
  });

  it('leaves reads out of the interceptor pipeline, which costs CPU on every request it wraps', () => {
    const reads = routes().filter(({ method }) => method === RequestMethod.GET);
    expect(reads.length).toBeGreaterThan(10);
    expect(reads.filter(({ interceptors }) => interceptors.length > 0).map(({ route }) => route)).toEqual([]);
  });
});
