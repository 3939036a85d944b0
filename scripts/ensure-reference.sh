#!/usr/bin/env bash
# Installs what the engine's conformance tests compare against: Java 17 and Debian's Apache Velocity 1.7 +
# velocity-tools 2.0 (root with apt-get). The package never needs Java at run time; only these tests do.
set -u
have() { command -v javac >/dev/null 2>&1 && [ -f /usr/share/java/velocity-1.7.jar ] && [ -f /usr/share/java/velocity-tools-2.0.jar ]; }
if have; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Java and Debian's Velocity for the engine's conformance tests..."
  export DEBIAN_FRONTEND=noninteractive
  pkgs="velocity libvelocity-tools-java"
  command -v javac >/dev/null 2>&1 || pkgs="$pkgs openjdk-17-jdk-headless"
  if apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $pkgs >/dev/null 2>&1 && have; then
    echo "installed: $(javac -version 2>&1), Velocity 1.7, velocity-tools 2.0"
    exit 0
  fi
  echo "could not install $pkgs with apt-get; the conformance tests will be skipped (or fail when required)" >&2
else
  echo "Java or Velocity is missing and this user cannot apt-get them; the conformance tests will be skipped" >&2
fi
exit 0
