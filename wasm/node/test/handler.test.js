'use strict';
// The Node.js handler against moto provisioned by init.sh, with the same recorded API Gateway
// events the native shell's tests use.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startEmulator, loadHandler, event, tokenEvent, invoke, verifyJwt } = require('./harness.js');

const ISSUER = 'https://abcdef1234.execute-api.eu-west-1.amazonaws.com/dev';
let emulator;
let handler;

// Sequential: invoke() swaps process.stdout.write, which concurrent tests would tangle.
describe('Node.js handler against moto', { concurrency: 1 }, () => {
  before(async () => {
    emulator = await startEmulator({ recording: true });
    emulator.init();
    await emulator.startRecording();
    ({ handler } = loadHandler({ AWS_ENDPOINT_URL: emulator.url, TOKEN_ISSUER: ISSUER }));
  });
  after(() => emulator.stop());

  async function verified(body, audience = ISSUER) {
    const jwks = (await invoke(handler, event('rest_v1_jwks.json'))).response.body;
    return verifyJwt(body.access_token, jwks, ISSUER, audience);
  }

  test('recorded API Gateway events give the same answers as in the native shell', async () => {
    const cases = [
      ['rest_v1_token.json', 200, undefined],
      ['rest_v1_token_base64.json', 200, undefined],
      ['rest_v1_token_bad_secret.json', 401, 'invalid_client'],
      ['rest_v1_jwks.json', 200, undefined],
      ['http_v2_token.json', 200, undefined],
      ['http_v2_default_stage_post_auth.json', 200, undefined],
      ['http_v2_get_token.json', 405, 'method_not_allowed'],
    ];
    for (const [file, status, error] of cases) {
      const { response, body } = await invoke(handler, event(file));
      assert.equal(response.statusCode, status, file);
      assert.equal(response.isBase64Encoded, false);
      assert.equal(body.error, error, file);
      if (body.access_token) {
        const claims = await verified(body);
        assert.equal(claims.client_id, 'admin');
        assert.equal(response.headers['cache-control'], 'no-store');
      }
    }
  });

  test('a standard library (jose) verifies the tokens from the metadata and JWKS documents', async () => {
    const { createLocalJWKSet, jwtVerify } = await import('jose');
    const metadata = (await invoke(handler, event('rest_v1_metadata.json'))).body;
    assert.equal(metadata.issuer, ISSUER);
    const jwks = (await invoke(handler, event('rest_v1_jwks.json'))).body;
    const { body } = await invoke(handler, tokenEvent('reporting', 'reporting-demo-secret'));
    const { payload, protectedHeader } = await jwtVerify(body.access_token, createLocalJWKSet(jwks), {
      issuer: metadata.issuer,
      audience: ISSUER,
      typ: 'at+jwt',
      algorithms: ['RS256'],
    });
    assert.equal(protectedHeader.kid, jwks.keys[0].kid);
    assert.equal(payload.client_id, 'reporting');
    // A token altered after signing is refused by the library too.
    const [h, p, sig] = body.access_token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...payload, scope: 'admin' })).toString('base64url');
    await assert.rejects(jwtVerify(`${h}.${forged}.${sig}`, createLocalJWKSet(jwks), { issuer: ISSUER }));
    assert.ok(p);
  });

  test('demo clients', async () => {
    let r = await invoke(handler, tokenEvent('reporting', 'reporting-demo-secret'));
    assert.deepEqual([r.response.statusCode, r.body.expires_in, r.body.scope], [200, 600, 'reports:export reports:read']);
    r = await invoke(handler, tokenEvent('billing', 'billing-new-secret'));
    assert.deepEqual((await verified(r.body, 'https://billing.example.com')).aud, 'https://billing.example.com');
    r = await invoke(handler, tokenEvent('retired', 'retired-demo-secret'));
    assert.deepEqual([r.response.statusCode, r.body.error], [400, 'unauthorized_client']);
    r = await invoke(handler, tokenEvent('partner', 'partner-demo-secret'));
    assert.equal((await verified(r.body)).tenant, 'acme');
    r = await invoke(handler, tokenEvent('admin', 'admin', 'grant_type=password'));
    assert.deepEqual([r.response.statusCode, r.body.error], [400, 'unsupported_grant_type']);
    r = await invoke(handler, tokenEvent('admin', 'admin', 'grant_type=client_credentials&scope=%22'));
    assert.deepEqual([r.response.statusCode, r.body.error], [400, 'invalid_scope']);
  });

  test('one Query and one Sign per token; one GetPublicKey per process', async () => {
    await invoke(handler, event('rest_v1_jwks.json')); // the key is loaded
    const before = await emulator.operations();
    assert.equal(before.filter((op) => op === 'TrentService.GetPublicKey').length, 1 + 0, 'only at load');
    await emulator.startRecording();
    for (let i = 0; i < 5; i++) {
      assert.equal((await invoke(handler, event('rest_v1_token.json'))).response.statusCode, 200);
    }
    const ops = await emulator.operations();
    assert.deepEqual(ops, Array(5).fill(['DynamoDB_20120810.Query', 'TrentService.Sign']).flat());
  });

  test('log lines: one request line and one EMF line, as the native shell writes, without secrets', async () => {
    const { body, lines } = await invoke(handler, tokenEvent('partner', 'partner-demo-secret'));
    assert.equal(lines.length, 2);
    const [request, metrics] = lines.map((l) => JSON.parse(l));
    assert.deepEqual([request.message, request.outcome, request.status, request.client_id], ['request', 'issued', 200, 'partner']);
    assert.equal(metrics._aws.CloudWatchMetrics[0].Namespace, 'TokenEndpoint');
    assert.equal(metrics.TokensIssued, 1);
    for (const line of lines) {
      assert.ok(!line.includes('partner-demo-secret'));
      assert.ok(!line.includes(body.access_token.split('.')[2]));
    }
  });
});
