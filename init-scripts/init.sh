#!/usr/bin/env bash
# Provisions what the token endpoint needs, idempotently, against whatever AWS endpoint the
# environment names: LocalStack (run from /etc/localstack/init/ready.d, where `awslocal` exists)
# or the local emulator (`make up` sets AWS_ENDPOINT_URL and puts the project's awscli on PATH).
#
#   - DynamoDB table `Users`: Username (S, HASH) + Password (S, RANGE), with the seed's admin/admin
#     item exactly as the seed stored it, and a few demonstration clients (README lists them).
#   - KMS key RSA_2048 / SIGN_VERIFY with alias `alias/signing-key`; its public key is printed.
#   - If the Lambda zip exists: the function `token` (runtime below) and the REST API `TokenAPI`,
#     stage `dev`, routing POST /token and GET on the two well-known documents to it (AWS_PROXY).
#
# Re-running it changes nothing that exists already (the function's code and settings are
# refreshed).
set -euo pipefail

# provided.al2023: the native Rust `bootstrap`; nodejs20.x (or nodejs22.x): the wasm handler.
runtime="${RUNTIME:-provided.al2023}"
architecture="${ARCH:-x86_64}"

export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-key}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-secret}"
TABLE="${TOKEN_TABLE:-Users}"
KEY_ALIAS="${TOKEN_KEY_ID:-alias/signing-key}"

if command -v awslocal >/dev/null 2>&1 && [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  aws() { awslocal "$@"; }
fi

echo "init: table ${TABLE}"
if aws dynamodb describe-table --table-name "$TABLE" >/dev/null 2>&1; then
  echo "init: table exists"
else
  aws dynamodb create-table --table-name "$TABLE" \
    --attribute-definitions AttributeName=Username,AttributeType=S AttributeName=Password,AttributeType=S \
    --key-schema AttributeName=Username,KeyType=HASH AttributeName=Password,KeyType=RANGE \
    --billing-mode PAY_PER_REQUEST >/dev/null
  aws dynamodb wait table-exists --table-name "$TABLE"
fi

put() { aws dynamodb put-item --table-name "$TABLE" --item "$1" >/dev/null; }
# The seed's client: plain-text secret, no restrictions.
put '{"Username":{"S":"admin"},"Password":{"S":"admin"}}'
# A hashed secret (reporting-demo-secret), restricted scopes, ten-minute tokens.
put '{"Username":{"S":"reporting"},"Password":{"S":"$pbkdf2-sha256$i=1000,l=32$ZGVtby1zYWx0LXJlcG9ydA$LffNmW4Q4qmEsnmqzNzPaX+ThSabeMi4+qTBMaiuh94"},"Scopes":{"SS":["reports:read","reports:export"]},"TokenTtl":{"N":"600"}}'
# Rotation: two valid secrets (billing-old-secret, billing-new-secret), one audience.
put '{"Username":{"S":"billing"},"Password":{"S":"billing-old-secret"},"Audiences":{"SS":["https://billing.example.com"]},"CreatedAt":{"N":"1"}}'
put '{"Username":{"S":"billing"},"Password":{"S":"$pbkdf2-sha256$i=1000,l=32$ZGVtby1zYWx0LWJpbGxpbg$bC3/z5DteXn0e5z96dEw0Ubqoci3CYb2ggm7NrB4x+Q"},"Audiences":{"SS":["https://billing.example.com"]},"CreatedAt":{"N":"2"}}'
# Extra claims in every token.
put '{"Username":{"S":"partner"},"Password":{"S":"partner-demo-secret"},"Claims":{"M":{"tenant":{"S":"acme"},"tier":{"N":"2"}}}}'
# A disabled client: the right secret gets unauthorized_client.
put '{"Username":{"S":"retired"},"Password":{"S":"retired-demo-secret"},"Disabled":{"BOOL":true}}'

echo "init: signing key ${KEY_ALIAS}"
if key_id=$(aws kms describe-key --key-id "$KEY_ALIAS" --query KeyMetadata.KeyId --output text 2>/dev/null); then
  echo "init: key exists: ${key_id}"
else
  key_id=$(aws kms create-key --key-usage SIGN_VERIFY --customer-master-key-spec RSA_2048 \
    --description "token endpoint signing key" --query KeyMetadata.KeyId --output text)
  aws kms create-alias --alias-name "$KEY_ALIAS" --target-key-id "$key_id"
  echo "init: created key ${key_id}"
fi
echo "-----BEGIN PUBLIC KEY-----"
aws kms get-public-key --key-id "$KEY_ALIAS" --query PublicKey --output text | fold -w 64
echo "-----END PUBLIC KEY-----"
# LocalStack mounts ./build at /build; elsewhere LAMBDA_ZIP names the zip explicitly (the local
# stack runs bootstrap directly and needs neither Lambda nor API Gateway).
zip="${LAMBDA_ZIP:-/build/token_function.zip}"
if [ ! -f "$zip" ]; then
  echo "init: no ${zip}: skipping Lambda and API Gateway (run make package)"
  echo "init: done"
  exit 0
fi

region="$AWS_DEFAULT_REGION"
# The URL clients use; LocalStack serves the stage under /restapis/{id}/dev/_user_request_.
public_endpoint="${PUBLIC_ENDPOINT:-http://localhost:4566}"

echo "init: REST API TokenAPI"
api_id=$(aws apigateway get-rest-apis --query "items[?name=='TokenAPI'].id | [0]" --output text)
if [ -z "$api_id" ] || [ "$api_id" = "None" ]; then
  api_id=$(aws apigateway create-rest-api --name TokenAPI --query id --output text)
fi
issuer="${public_endpoint}/restapis/${api_id}/dev/_user_request_"

echo "init: function token (${runtime}, ${architecture}) from ${zip}"
case "$runtime" in
  provided.*) handler=bootstrap ;;
  *) handler=index.handler ;;
esac
role_arn=$(aws iam get-role --role-name unsafe --query Role.Arn --output text 2>/dev/null) ||
  role_arn=$(aws iam create-role --role-name unsafe --query Role.Arn --output text \
    --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}')
environment="Variables={TOKEN_ISSUER=${issuer},TOKEN_TABLE=${TABLE},TOKEN_KEY_ID=${KEY_ALIAS},AWS_LAMBDA_LOG_FORMAT=JSON}"
if aws lambda get-function --function-name token >/dev/null 2>&1; then
  aws lambda update-function-code --function-name token --zip-file "fileb://${zip}" >/dev/null
  aws lambda wait function-updated --function-name token
  aws lambda update-function-configuration --function-name token --runtime "$runtime" \
    --handler "$handler" --environment "$environment" >/dev/null
  aws lambda wait function-updated --function-name token
else
  aws lambda create-function --function-name token --runtime "$runtime" --handler "$handler" \
    --role "$role_arn" --zip-file "fileb://${zip}" --architectures "$architecture" \
    --memory-size 128 --timeout 10 --environment "$environment" >/dev/null
fi
aws lambda wait function-active --function-name token
function_arn=$(aws lambda get-function --function-name token --query Configuration.FunctionArn --output text)

resource() { # parent-id path-part full-path: the resource id, created if missing
  local id
  id=$(aws apigateway get-resources --rest-api-id "$api_id" --query "items[?path=='$3'].id | [0]" --output text)
  if [ -z "$id" ] || [ "$id" = "None" ]; then
    id=$(aws apigateway create-resource --rest-api-id "$api_id" --parent-id "$1" --path-part "$2" --query id --output text)
  fi
  echo "$id"
}
route() { # resource-id http-method: a public method proxied to the function
  if ! aws apigateway get-method --rest-api-id "$api_id" --resource-id "$1" --http-method "$2" >/dev/null 2>&1; then
    aws apigateway put-method --rest-api-id "$api_id" --resource-id "$1" --http-method "$2" \
      --authorization-type NONE >/dev/null
  fi
  aws apigateway put-integration --rest-api-id "$api_id" --resource-id "$1" --http-method "$2" \
    --type AWS_PROXY --integration-http-method POST \
    --uri "arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${function_arn}/invocations" >/dev/null
}
root_id=$(resource "" "" "/")
well_known_id=$(resource "$root_id" .well-known /.well-known)
route "$(resource "$root_id" token /token)" POST
route "$(resource "$well_known_id" jwks.json /.well-known/jwks.json)" GET
route "$(resource "$well_known_id" oauth-authorization-server /.well-known/oauth-authorization-server)" GET
aws lambda add-permission --function-name token --statement-id apigateway-invoke \
  --action lambda:InvokeFunction --principal apigateway.amazonaws.com >/dev/null 2>&1 || true
aws apigateway create-deployment --rest-api-id "$api_id" --stage-name dev >/dev/null

# Warm the function once (it loads its key); an emulator that cannot run functions says so here.
warm_event='{"httpMethod":"GET","path":"/.well-known/jwks.json","headers":{},"requestContext":{"stage":"dev","httpMethod":"GET","path":"/dev/.well-known/jwks.json"},"isBase64Encoded":false}'
if aws lambda invoke --function-name token --cli-binary-format raw-in-base64-out \
  --payload "$warm_event" /tmp/token-warm.json >/tmp/token-warm.meta 2>&1 &&
  ! grep -q FunctionError /tmp/token-warm.meta; then
  echo "init: function answered: $(head -c 120 /tmp/token-warm.json)"
else
  echo "init: the function could not be invoked here (an emulator without a Lambda runtime?)"
fi
echo "init: token endpoint ${issuer}/token"
echo "init: done"
