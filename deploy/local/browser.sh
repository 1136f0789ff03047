#!/usr/bin/env bash
# Install Debian's Chromium for the desk's browser tests (Playwright drives it; Playwright's
# own browser download is not used). Idempotent: does nothing when chromium is present.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "[browser] installing chromium from Debian packages ..." >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null 2>&1 || { echo "[browser] chromium did not install" >&2; exit 1; }
