// A real OpenID Connect provider for the tests: node `oidc-provider` (panva), started by
// tests/federation/oidc_provider.py with the path of a JSON file:
//   {"issuer": "http://127.0.0.1:PORT", "port": PORT, "clients": [...], "jwks": {"keys": [...]}}
// Its built-in development interactions (a login form that accepts any login, then a consent
// form) are the login page the browser tests go through; the login typed in becomes the `sub`.
// PKCE is required for every client (RFC 7636; OAuth 2.0 Security BCP, RFC 9700 section 2.1.1).
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: config.jwks,
  cookies: { keys: ['skills-test-cookie-key-1', 'skills-test-cookie-key-2'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    async claims() {
      return { sub };
    },
  }),
});

// The development warnings (dev keys, dev interactions) are expected here.
provider.on('server_error', (ctx, err) => console.error('server_error', err));

provider.listen(config.port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${config.issuer}`);
});
