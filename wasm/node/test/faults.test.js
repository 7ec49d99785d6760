'use strict';
// The fault matrix for the Node.js handler: the rows the native shell is tested against too
// (lambda/tests/fixtures/fault-matrix.json), injected by scripts/fault-proxy.py between the
// real AWS SDK for JavaScript and moto. Every row: a JSON error within the bound, never a
// token; cleared, the same loaded handler issues again.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startEmulator, faultProxy, loadHandler, event, invoke } = require('./harness.js');

const ISSUER = 'https://auth.example.com';
const matrix = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '../../../lambda/tests/fixtures/fault-matrix.json'), 'utf8'),
);
let emulator;

// Sequential: invoke() swaps process.stdout.write, which concurrent tests would tangle.
describe('Node.js handler: fault matrix', { concurrency: 1 }, () => {
  before(async () => {
    emulator = await startEmulator();
    emulator.init();
  });
  after(() => emulator.stop());

  function assertRefused({ response, body, ms }, status, code, name) {
    assert.equal(response.statusCode, status, `${name}: ${JSON.stringify(body)}`);
    assert.equal(body.error, code, name);
    assert.equal(body.access_token, undefined, name);
    assert.ok(ms < matrix.bound_ms, `${name}: took ${ms} ms`);
  }

  const timeouts = {
    TOKEN_SDK_TIMEOUT_MS: String(matrix.sdk_timeout_ms),
    TOKEN_SDK_CONNECT_TIMEOUT_MS: '500',
    TOKEN_ISSUER: ISSUER,
  };

  test('every row of the shared matrix, one loaded handler', async () => {
    const proxy = await faultProxy(emulator.url);
    try {
      const { handler } = loadHandler({ ...timeouts, AWS_ENDPOINT_URL: proxy.url });
      assert.equal((await invoke(handler, event('rest_v1_token.json'))).response.statusCode, 200);
      for (const row of matrix.rows) {
        await proxy.set(row.fault);
        const result = await invoke(handler, event('rest_v1_token.json'));
        assertRefused(result, row.status, row.error, row.name);
        assert.equal(JSON.parse(result.lines[0]).outcome, 'failed', row.name);
        assert.ok(!result.lines.join('\n').includes('eyJ'), `${row.name}: a token in the logs`);
        await proxy.clear();
        const again = await invoke(handler, event('rest_v1_token.json'));
        assert.equal(again.response.statusCode, 200, `${row.name}: not serving after the fault`);
      }
    } finally {
      proxy.stop();
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
      assertRefused(await invoke(handler, event('rest_v1_token.json')), 503, 'temporarily_unavailable', 'stopped');
    }
    assert.equal((await invoke(handler, event('rest_v1_jwks.json'))).response.statusCode, 200);
  });

  test('emulator absent when the handler loads, then present: no reload needed', async () => {
    const port = await require('./harness.js').freePort();
    const { handler } = loadHandler({ ...timeouts, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
    assertRefused(await invoke(handler, event('rest_v1_token.json')), 503, 'temporarily_unavailable', 'absent');
    const late = await startEmulator({ port });
    try {
      late.init();
      assert.equal((await invoke(handler, event('rest_v1_token.json'))).response.statusCode, 200);
    } finally {
      late.stop();
    }
  });
});
