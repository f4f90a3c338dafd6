// The server secret (SECRET_KEY, or the one generated and kept in service_state) for everything
// that signs: the CSRF cookie, the mute and unsubscribe links, the alert mails. One instance per
// app, created in buildApp and reached as app.serverSecret. It is loaded from the database on
// first need rather than when the app is built: the app must build (and answer heartbeats with
// 503, /healthz with 200) while the database is down. Until it is loaded, nothing that signs can run.
import { Signer } from '@fastify/cookie';
import type { Database } from '../db/database.ts';
import { loadServerSecret } from '../db/service-state.ts';

export interface ServerSecret {
  /** The secret if it is loaded. */
  current(): string | undefined;
  /** Loads it once (retrying after a failure). */
  ensure(): Promise<string>;
  /** A @fastify/cookie signer that uses the loaded secret (throws if it is not loaded yet). */
  signer: Pick<Signer, 'sign' | 'unsign'>;
}

export function createServerSecret(db: Database, configured: string | undefined): ServerSecret {
  let value = configured;
  let loading: Promise<string> | undefined;
  let signer = value ? new Signer(value) : undefined;
  const loaded = () => {
    if (!signer) throw new Error('server secret not loaded yet');
    return signer;
  };
  return {
    current: () => value,
    async ensure() {
      if (value) return value;
      loading ??= loadServerSecret(db, configured).then(
        (secret) => {
          value = secret;
          signer = new Signer(secret);
          return secret;
        },
        (error: unknown) => {
          loading = undefined;
          throw error;
        },
      );
      return loading;
    },
    signer: {
      sign: (text) => loaded().sign(text),
      unsign: (text) => loaded().unsign(text),
    },
  };
}
