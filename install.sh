#!/usr/bin/env bash
# Installs the system libraries Weft links against (Debian 12 / Ubuntu): oneDNN, OpenBLAS, zlib.
# Swift itself (6.x) must already be installed: https://www.swift.org/install/linux/
set -euo pipefail
pkgs=(libdnnl-dev libopenblas-dev zlib1g-dev pkg-config curl)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install.sh: all system packages present (${pkgs[*]})"
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y "${missing[@]}"
