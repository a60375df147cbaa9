/** Registers the TSC HTTP layer on a Fastify instance: error envelope, auth scopes and routes. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { adminRoutes } from './admin-routes.js';
import { bearerGuard } from './auth.js';
import type { TscFastify, TscHttpContext } from './context.js';
import { installErrorHandling } from './errors.js';
import { eventRoutes } from './event-routes.js';
import { publicRoutes } from './public-routes.js';
import { raoRoutes } from './rao-routes.js';
import { tsaRoutes } from './tsa-routes.js';
import { userRoutes } from './user-routes.js';
import { videoidRoutes } from './videoid-routes.js';

export type { TscHttpContext, TscFastify } from './context.js';

export function registerTscHttp(app: TscFastify, ctx: TscHttpContext): void {
  installErrorHandling(app);
  publicRoutes(app, ctx);
  tsaRoutes(app, ctx);
  // Client routes: the Optimizer's API key on every /tsc/v1 route outside /tsc/v1/admin.
  app.register(async (instance) => {
    const client = instance.withTypeProvider<TypeBoxTypeProvider>();
    client.addHook('onRequest', bearerGuard(ctx.clientApiKey, 'client'));
    raoRoutes(client, ctx);
    userRoutes(client, ctx);
    videoidRoutes(client, ctx);
    eventRoutes(client, ctx);
  });
  adminRoutes(app, ctx);
}
