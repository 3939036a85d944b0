#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test where it can (root with apt-get); says why when it cannot.
set -u
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser test..."
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; then
    echo "chromium installed: $(chromium --version 2>/dev/null)"
    exit 0
  fi
  echo "could not install chromium with apt-get; the browser test will be skipped (or fail when required)" >&2
else
  echo "chromium is not installed and this user cannot apt-get it; the browser test will be skipped" >&2
fi
exit 0
