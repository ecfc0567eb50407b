#!/usr/bin/env bash
# lc-sdk-python 0.4.2 against `lc mock` over TLS: tests/interop/python/run.sh <path-to-lc>
# Installs the pinned SDK into .venv/ (once per requirements.txt), makes a throwaway self-signed
# certificate for localhost/127.0.0.1 in .tls/, and runs interop.py (exit 0: exactly the expected failures).
set -euo pipefail
LC=$(realpath "${1:?usage: run.sh <path-to-lc>}")
DIR=$(cd "$(dirname "$0")" && pwd)
VENV="$DIR/.venv" TLS="$DIR/.tls"
PY=$(command -v python3.11 || command -v python3)
if ! cmp -s "$DIR/requirements.txt" "$VENV/requirements.txt" 2>/dev/null; then
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -r "$DIR/requirements.txt"
  cp "$DIR/requirements.txt" "$VENV/requirements.txt"
fi
mkdir -p "$TLS" "$DIR/.work"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
  -keyout "$TLS/key.pem" -out "$TLS/cert.pem" 2>/dev/null
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
exec timeout -k 5 150 "$VENV/bin/python" "$DIR/interop.py" "$LC" "$TLS/cert.pem" "$TLS/key.pem"
