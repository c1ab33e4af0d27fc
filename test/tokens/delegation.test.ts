import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT_TYPE,
  type DevIdp,
} from '../../src/devidp/index.js';
import { ALL_SCOPES, idpClient, startIdp, userToken } from '../support/harness.js';
import { accessTokenClaims, startTestIssuer, type TestIssuer } from './test-issuer.js';
import { verifierFor } from './verifier.js';

// RFC 8693 delegation: real actor chains from the dev IdP's token exchange, and hand-made `act`
// and `may_act` shapes the dev IdP does not produce, signed by a test issuer Warden trusts.

const RESOURCE = 'https://agent.example';
const NOW = Math.floor(Date.now() / 1000);

let idp: DevIdp;
let forged: TestIssuer;

beforeAll(async () => {
  [idp, forged] = await Promise.all([startIdp([RESOURCE]), startTestIssuer('ES256')]);
});

afterAll(async () => {
  await Promise.all([idp?.close(), forged?.close()]);
});

const trust = (issuer: string, delegation: object = {}) => ({
  issuers: [{ issuer, allowInsecureIssuer: true, delegation }],
});

async function exchange(clientId: string, subjectToken: string): Promise<string> {
  const client = await idpClient(idp, clientId);
  const response = await oidc.genericGrantRequest(client, TOKEN_EXCHANGE_GRANT_TYPE, {
    subject_token: subjectToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    resource: RESOURCE,
  });
  return response.access_token;
}

describe('actor chains from the dev IdP', () => {
  it('gives policy the user, the acting agent and the whole chain', async () => {
    const { verify } = await verifierFor(trust(idp.issuer, { maxDepth: 2 }));
    const first = await userToken(idp, 'peer-agent-a', 'bob', ALL_SCOPES, RESOURCE);
    const second = await exchange('peer-agent-b', first);

    expect(await verify(second)).toMatchObject({
      agent: 'peer-agent-b',
      user: 'bob',
      actors: ['peer-agent-b', 'peer-agent-a'],
      delegationDepth: 2,
    });
  });

  it('refuses a chain one deeper than maxDepth', async () => {
    const { verify } = await verifierFor(trust(idp.issuer, { maxDepth: 1 }));
    const first = await userToken(idp, 'peer-agent-a', 'bob', ALL_SCOPES, RESOURCE);

    await expect(verify(await exchange('peer-agent-b', first))).rejects.toMatchObject({
      code: 'ERR_TOKEN_DELEGATION',
      publicMessage: 'access token delegation chain is too deep',
    });
  });

  it('refuses a chain with an actor outside allowedActors anywhere in it', async () => {
    const delegation = { maxDepth: 3, allowedActors: ['peer-agent-b'] };
    const { verify } = await verifierFor(trust(idp.issuer, delegation));
    const first = await userToken(idp, 'peer-agent-a', 'bob', ALL_SCOPES, RESOURCE);

    await expect(verify(await exchange('peer-agent-b', first))).rejects.toMatchObject({
      code: 'ERR_TOKEN_DELEGATION',
      message: 'access token delegation refused: actor "peer-agent-a" is not allowed',
    });
  });
});

describe('act and may_act shapes', () => {
  const delegated = (extra: object) =>
    forged.mint(accessTokenClaims(forged.issuer, RESOURCE, NOW, { sub: 'alice', ...extra }));

  it.each([
    ['may_act naming the current actor', { may_act: { sub: 'peer-agent-a' } }, undefined],
    [
      'may_act naming someone else',
      { may_act: { sub: 'peer-agent-z' } },
      'access token delegation chain is not permitted',
    ],
    [
      'an actor named by another issuer',
      { act: { sub: 'peer-agent-a', iss: 'https://elsewhere.example' } },
      'access token delegation chain names a foreign actor',
    ],
    [
      'an act without a string sub',
      { act: { sub: 'peer-agent-a', act: { client: 'x' } } },
      'access token delegation chain is malformed',
    ],
  ])('%s', async (_name, extra, refusal) => {
    const { verify } = await verifierFor(trust(forged.issuer));
    const token = await delegated({ act: { sub: 'peer-agent-a' }, ...extra });

    if (refusal === undefined) {
      expect(await verify(token)).toMatchObject({ actors: ['peer-agent-a'], user: 'alice' });
    } else {
      await expect(verify(token)).rejects.toMatchObject({ publicMessage: refusal });
    }
  });

  it('refuses any delegated token when maxDepth is 0', async () => {
    const { verify } = await verifierFor(trust(forged.issuer, { maxDepth: 0 }));

    await expect(verify(await delegated({ act: { sub: 'peer-agent-a' } }))).rejects.toMatchObject({
      code: 'ERR_TOKEN_DELEGATION',
    });
  });
});
