#!/usr/bin/env bash
# Validates api/openapi.yaml against the OpenAPI 3.1 meta-schema with
# openapi-spec-validator, in a private virtualenv under target/.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/openapi-venv
if [[ ! -x "$venv/bin/openapi-spec-validator" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'openapi-spec-validator==0.9.0'
fi
"$venv/bin/openapi-spec-validator" api/openapi.yaml
