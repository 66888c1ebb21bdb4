#!/usr/bin/env bash
# Sets up (Debian 12 packages, build) and runs the demo: LeGrad heatmaps for a picture.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/setup.sh
./pipelines/explain-picture.sh "$@"
