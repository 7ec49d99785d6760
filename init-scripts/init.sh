#!/usr/bin/env bash
# Provisions what the token endpoint needs, idempotently, against whatever AWS endpoint the
# environment names: LocalStack (run from /etc/localstack/init/ready.d, where `awslocal` exists)
# or the local emulator (`make up` sets AWS_ENDPOINT_URL and puts the project's awscli on PATH).
#
#   - DynamoDB table `Users`: Username (S, HASH) + Password (S, RANGE), with the seed's admin/admin
#     item exactly as the seed stored it, and a few demonstration clients (README lists them).
#   - KMS key RSA_2048 / SIGN_VERIFY with alias `alias/signing-key`; its public key is printed.
#
# Re-running it changes nothing that exists already.
set -euo pipefail

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
echo "init: done"
