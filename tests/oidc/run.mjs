// A real OpenID provider (the certified `oidc-provider` package) for Keyturn's single sign-on
// tests, on 127.0.0.1 with one confidential client.
//
//   node run.mjs --port 0 --client-id ID --client-secret SECRET --redirect-uri URI --sign-in FILE
//     [--key-id KID]
//
// Prints `OIDC READY <issuer>` once it serves, and exits when its stdin closes (so it never
// outlives the test process that started it).
//
// There is no login page: every sign-in completes at once (login, then consent) as the
// account FILE names. The file is read at each sign-in and each token response, so a test
// chooses who signs in next by rewriting it:
//
//   {"account": {"sub": "u-1", "email": "a@corp.com", "email_verified": true, "groups": []},
//    "tamper": {"set": {"aud": "other"}, "remove": ["nonce"], "foreign_key": false}}
//
// `tamper` (optional) makes the provider misbehave in exactly one way: the ID token it
// returns from the token endpoint gets the claims in `set`, loses those in `remove`, and is
// signed again, with the provider's own key (so only the altered claim is wrong) or, with
// `foreign_key`, with another key under the same key id (a bad signature).

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK } from 'jose';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
    'sign-in': { type: 'string' },
    'key-id': { type: 'string' },
  },
});
for (const name of ['client-id', 'client-secret', 'redirect-uri', 'sign-in']) {
  if (!args[name]) {
    console.error(`run.mjs: --${name} is required`);
    process.exit(2);
  }
}

// A key id of its own each run, as real providers name each key they generate, unless a
// test asks for one (a provider replaced at the same address under the same key id).
const KEY_ID = args['key-id'] ?? `keyturn-test-${randomBytes(8).toString('hex')}`;
const signingJwk = await newSigningJwk();

// Every account that has signed in, by `sub`: the token endpoint asks for claims after the
// file may already name the next person.
const accounts = new Map();

function readSignIn() {
  return JSON.parse(readFileSync(args['sign-in'], 'utf8'));
}

async function newSigningJwk() {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: KEY_ID, alg: 'RS256', use: 'sig' };
}

const server = createServer();
await new Promise((resolve) => server.listen(Number(args.port), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: args['client-id'],
      client_secret: args['client-secret'],
      redirect_uris: [args['redirect-uri']],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signingJwk] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  // Real providers put the requested claims in the ID token; so does this one.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  async findAccount(ctx, sub) {
    const claims = accounts.get(sub);
    if (!claims) return undefined;
    return { accountId: sub, async claims() { return { ...claims, sub } } };
  },
});

// The interaction pages: sign in as the file's account, then consent to what was asked.
provider.use(async (ctx, next) => {
  if (!ctx.path.startsWith('/interaction/')) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params } = details;
  let result;
  if (prompt.name === 'login') {
    const { account } = readSignIn();
    accounts.set(account.sub, account);
    result = { login: { accountId: account.sub } };
  } else {
    const grant = new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    grant.addOIDCScope(params.scope);
    result = { consent: { grantId: await grant.save() } };
  }
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: true,
  });
  ctx.status = 303;
  ctx.redirect(returnTo);
});

// The one misbehaviour a test asked for, applied to the ID token the token endpoint returns.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || !ctx.body || typeof ctx.body.id_token !== 'string') return;
  const { tamper } = readSignIn();
  if (!tamper) return;
  const payload = decodeJwt(ctx.body.id_token);
  Object.assign(payload, tamper.set ?? {});
  for (const claim of tamper.remove ?? []) delete payload[claim];
  const jwk = tamper.foreign_key ? await newSigningJwk() : signingJwk;
  const header = decodeProtectedHeader(ctx.body.id_token);
  ctx.body = {
    ...ctx.body,
    id_token: await new SignJWT(payload)
      .setProtectedHeader({ ...header, kid: KEY_ID })
      .sign(await importJWK(jwk, 'RS256')),
  };
});

server.on('request', provider.callback());
process.stdout.write(`OIDC READY ${issuer}\n`);

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
