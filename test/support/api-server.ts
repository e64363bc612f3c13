/**
 * A cluster manager (no peers yet, 50 ms ticks) behind the web API on a free loopback port, for
 * tests of the server; `stopApiServer` ends both.
 */
import { ClusterManager } from '../../src/main/cluster/manager.ts';
import { ApiServer, type ServerOptions } from '../../src/main/server/server.ts';

export interface ApiServerUnderTest {
  readonly manager: ClusterManager;
  readonly server: ApiServer;
  /** `http://127.0.0.1:PORT` */
  readonly base: string;
}

export async function startApiServer(options: Partial<ServerOptions> = {}): Promise<ApiServerUnderTest> {
  const manager = new ClusterManager({ tickMs: 50 });
  const server = new ApiServer({ manager, startedAt: Date.now() }, { port: 0, rendererRoot: '/nonexistent', ...options });
  await server.listen();
  return { manager, server, base: `http://127.0.0.1:${server.port}` };
}

export async function stopApiServer(running: Partial<ApiServerUnderTest>): Promise<void> {
  await running.server?.close();
  await running.manager?.shutdown({ timeoutMs: 5000 });
}
