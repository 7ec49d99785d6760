'use strict';
// The token endpoint as a Node.js Lambda handler (`index.handler`, runtime nodejs20.x or
// nodejs22.x). It only does I/O: every decision is token-core's, compiled to WebAssembly in
// ./pkg. DynamoDB and KMS are reached with the AWS SDK for JavaScript v3 that the runtime ships.
const { randomFillSync } = require('node:crypto');
const core = require('./pkg/token_wasm.js');
const { DynamoDBClient, QueryCommand } = require('@aws-sdk/client-dynamodb');
const { KMSClient, SignCommand, GetPublicKeyCommand } = require('@aws-sdk/client-kms');
const { NodeHttpHandler } = require('@smithy/node-http-handler');

const inLambda = Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);
const settings = core.Settings.fromEnv(JSON.stringify(process.env), inLambda);
const clientConfig = {
  maxAttempts: 2,
  requestHandler: new NodeHttpHandler({
    connectionTimeout: settings.connectTimeoutMs,
    requestTimeout: settings.sdkTimeoutMs / 2,
  }),
};
const dynamo = new DynamoDBClient(clientConfig);
const kms = new KMSClient(clientConfig);

// Every call is bounded as a whole, retries included, like the native shell's operation timeout.
const send = (client, command) =>
  client.send(command, { abortSignal: AbortSignal.timeout(settings.sdkTimeoutMs) });

function diagnose(operation, err) {
  const answered = Boolean(err && err.$metadata && err.$metadata.httpStatusCode);
  const code = answered ? err.name : undefined;
  const kind = core.classifyAwsError(code);
  process.stderr.write(
    JSON.stringify({ level: 'WARN', message: 'backend call failed', operation, code: code || 'transport', kind }) + '\n',
  );
  return kind;
}

let loading = null;
// One GetPublicKey per key per process; a failure is retried by the next request.
function endpoint() {
  if (!loading) {
    loading = (async () => {
      const keys = [];
      for (const id of [settings.keyId, ...settings.previousKeyIds]) {
        const out = await send(kms, new GetPublicKeyCommand({ KeyId: id }));
        keys.push({ keyId: out.KeyId, publicKey: Buffer.from(out.PublicKey).toString('base64') });
      }
      return new core.TokenEndpoint(settings, JSON.stringify(keys));
    })();
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}
endpoint().catch(() => {});

// DynamoDB binary values travel as base64 text, as in DynamoDB's own JSON.
const itemsJson = (items) =>
  JSON.stringify(items || [], (_, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));

async function handler(event) {
  const started = performance.now();
  let exchange;
  try {
    const ready = await endpoint();
    const tokenId = randomFillSync(new Uint8Array(16));
    exchange = ready.handleEvent(JSON.stringify(event), Math.floor(Date.now() / 1000), tokenId);
  } catch (err) {
    exchange = core.signerUnavailable(diagnose('kms:GetPublicKey', err));
  }
  while (exchange.kind !== 'respond') {
    if (exchange.kind === 'load_client') {
      const query = new QueryCommand({
        TableName: settings.table,
        KeyConditionExpression: 'Username = :id',
        ExpressionAttributeValues: { ':id': { S: exchange.clientId } },
      });
      try {
        exchange.provide(itemsJson((await send(dynamo, query)).Items));
      } catch (err) {
        exchange.fail(diagnose('dynamodb:Query', err));
      }
    } else {
      const sign = new SignCommand({
        KeyId: exchange.keyId,
        Message: exchange.message,
        MessageType: 'RAW',
        SigningAlgorithm: exchange.algorithm,
      });
      try {
        exchange.finish((await send(kms, sign)).Signature, 'kms');
      } catch (err) {
        exchange.fail(diagnose('kms:Sign', err));
      }
    }
  }
  // Raw lines on stdout, so that CloudWatch reads the EMF line whatever the log format.
  for (const line of exchange.logLines(performance.now() - started, Date.now())) {
    process.stdout.write(line + '\n');
  }
  return JSON.parse(exchange.proxyResponse());
}

module.exports = { handler };
