'use strict';
// The Lambda zip from `make package RUNTIME=nodejs20.x`, unpacked and run as the runtime would:
// no node_modules of its own, the AWS SDK from the runtime's NODE_PATH.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startEmulator, event } = require('./harness.js');

const zip = path.resolve(__dirname, '../../../build/token_function.zip');

test('the nodejs zip holds the handler and the wasm package only, and issues a token', async () => {
  assert.ok(fs.existsSync(zip), 'run `make package RUNTIME=nodejs20.x` first');
  const listing = execFileSync('unzip', ['-Z1', zip]).toString().trim().split('\n').sort();
  assert.deepEqual(listing, ['index.js', 'pkg/', 'pkg/token_wasm.js', 'pkg/token_wasm_bg.wasm']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'token-zip-'));
  execFileSync('unzip', ['-q', zip, '-d', dir]);

  const emulator = await startEmulator();
  try {
    emulator.init();
    const script = `require(${JSON.stringify(path.join(dir, 'index.js'))}).handler(${JSON.stringify(event('rest_v1_token.json'))})
      .then((r) => process.stderr.write('RESULT ' + JSON.stringify(r) + '\\n'))`;
    const run = spawnSync(process.execPath, ['-e', script], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        NODE_PATH: path.resolve(__dirname, '../node_modules'),
        AWS_LAMBDA_FUNCTION_NAME: 'token',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'key',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_ENDPOINT_URL: emulator.url,
        TOKEN_ISSUER: 'https://abcdef1234.execute-api.eu-west-1.amazonaws.com/dev',
      },
    });
    const line = run.stderr.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(line, run.stderr);
    const result = JSON.parse(line.slice('RESULT '.length));
    assert.equal(result.statusCode, 200, result.body);
    assert.ok(JSON.parse(result.body).access_token);
    assert.match(run.stdout, /"outcome":"issued"/);
  } finally {
    emulator.stop();
  }
});
