// The gateway's one set of TLS certificates, shared by every TLS listener and swapped on reload
// (SIGHUP) without a restart: servers pick contexts through it and are told when it changes.

import type { Server as TlsServer, TlsOptions } from 'node:tls';
import type { TlsMaterial } from './tls.ts';

export interface TlsHolder {
  current(): TlsMaterial;
  /** Re-reads every certificate file; on failure the old material stays and the error is thrown. */
  reload(): Promise<TlsMaterial>;
  /** Options for tls.createServer whose SNI choice always follows the current material. */
  serverOptions(): TlsOptions;
  /** Keeps `server`'s default certificate in step with reloads. */
  track(server: TlsServer): void;
}

export function createTlsHolder(initial: TlsMaterial): TlsHolder {
  let material = initial;
  const servers = new Set<TlsServer>();
  return {
    current: () => material,
    async reload() {
      const next = await material.reload();
      material = next;
      for (const server of servers) server.setSecureContext(next.secureContextOptions());
      return next;
    },
    serverOptions: () => ({
      ...material.secureContextOptions(),
      // node keeps the SNICallback given at creation: make it read the current material.
      SNICallback: (servername, callback) => {
        callback(null, material.selectContext(servername));
      },
    }),
    track(server) {
      servers.add(server);
      server.once('close', () => servers.delete(server));
    },
  };
}
