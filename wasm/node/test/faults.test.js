'use strict';
// The fault matrix for the Node.js handler: a JSON 5xx within a bounded time, never a token.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startEmulator, fakeAws, loadHandler, event, invoke } = require('./harness.js');

const ISSUER = 'https://auth.example.com';
const BOUND_MS = 2500;
let emulator;

// Sequential: invoke() swaps process.stdout.write, which concurrent tests would tangle.
describe('Node.js handler: fault matrix', { concurrency: 1 }, () => {
  before(async () => {
    emulator = await startEmulator();
    emulator.init();
  });
  after(() => emulator.stop());

  function assert5xx({ response, body, ms }, status, code) {
    assert.equal(response.statusCode, status, JSON.stringify(body));
    assert.equal(body.error, code);
    assert.equal(body.access_token, undefined);
    assert.ok(ms < BOUND_MS, `took ${ms} ms`);
  }

  const timeouts = { TOKEN_SDK_TIMEOUT_MS: '1000', TOKEN_SDK_CONNECT_TIMEOUT_MS: '500', TOKEN_ISSUER: ISSUER };

  test('DynamoDB faults', async () => {
    const rows = [
      ['throttling', 400, '{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}', 0, 503, 'temporarily_unavailable'],
      ['access denied', 400, '{"__type":"com.amazon.coral.service#AccessDeniedException","message":"no"}', 0, 500, 'server_error'],
      ['hangs', 200, '{}', 5000, 503, 'temporarily_unavailable'],
    ];
    for (const [name, status, body, delay, want, code] of rows) {
      const fake = await fakeAws(status, body, delay);
      const { handler } = loadHandler({ ...timeouts, AWS_ENDPOINT_URL: emulator.url, AWS_ENDPOINT_URL_DYNAMODB: fake });
      const result = await invoke(handler, event('rest_v1_token.json'));
      assert5xx(result, want, code);
      assert.equal(JSON.parse(result.lines[0]).outcome, 'failed', name);
    }
  });

  test('KMS faults', async () => {
    const rows = [
      ['disabled key', 400, '{"__type":"DisabledException","message":"key is disabled"}', 0, 500, 'server_error'],
      ['hangs', 200, '{}', 5000, 503, 'temporarily_unavailable'],
    ];
    for (const [, status, body, delay, want, code] of rows) {
      const fake = await fakeAws(status, body, delay);
      // The key cannot even be loaded from this KMS: the answer is the same JSON 5xx.
      const { handler } = loadHandler({ ...timeouts, AWS_ENDPOINT_URL: emulator.url, AWS_ENDPOINT_URL_KMS: fake });
      assert5xx(await invoke(handler, event('rest_v1_token.json')), want, code);
    }
  });

  test('emulator stopped under a loaded handler; it keeps answering', async () => {
    const own = await startEmulator();
    own.init();
    const { handler } = loadHandler({ ...timeouts, AWS_ENDPOINT_URL: own.url });
    assert.equal((await invoke(handler, event('rest_v1_token.json'))).response.statusCode, 200);
    own.stop();
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 3; i++) {
      assert5xx(await invoke(handler, event('rest_v1_token.json')), 503, 'temporarily_unavailable');
    }
    assert.equal((await invoke(handler, event('rest_v1_jwks.json'))).response.statusCode, 200);
  });
});
