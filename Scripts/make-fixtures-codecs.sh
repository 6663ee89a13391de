#!/usr/bin/env bash
# Regenerates Fixtures/codecs/ from synthetic pictures, with Debian's own tools:
#   cjpeg, jpegtran (libjpeg-turbo-progs), opj_compress (libopenjp2-tools), gcc + libjpeg (CMYK writer),
#   python3 (standard library only: the pictures, the PNGs, the EXIF blocks).
# Usage: Scripts/make-fixtures-codecs.sh   (from anywhere; idempotent, overwrites the outputs)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../Fixtures/codecs"
mkdir -p "$out"
for tool in cjpeg jpegtran opj_compress gcc python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install libjpeg-turbo-progs libopenjp2-tools gcc libjpeg-dev)" >&2; exit 1; }
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
py="$here/make-fixtures-codecs.py"

python3 "$py" sources "$tmp"
python3 "$py" png "$out"

# JPEG: baseline RGB (4:2:0), progressive RGB, greyscale.
cjpeg -quality 90 -outfile "$out/rgb-baseline.jpg" "$tmp/pattern.ppm"
cjpeg -quality 90 -progressive -outfile "$out/rgb-progressive.jpg" "$tmp/pattern.ppm"
cjpeg -quality 90 -grayscale -outfile "$out/grey.jpg" "$tmp/pattern.pgm"

# EXIF orientations: one upright picture (4:4:4, 96×64, whole MCUs), stored so that applying orientation N
# makes it upright again: the stored picture is the inverse transform (lossless jpegtran -perfect).
cjpeg -quality 92 -sample 1x1 -outfile "$tmp/upright.jpg" "$tmp/pattern.ppm"
stored_transform() {
  case "$1" in
    1) echo "" ;;              2) echo "-flip horizontal" ;;
    3) echo "-rotate 180" ;;   4) echo "-flip vertical" ;;
    5) echo "-transpose" ;;    6) echo "-rotate 270" ;;
    7) echo "-transverse" ;;   8) echo "-rotate 90" ;;
  esac
}
for n in 1 2 3 4 5 6 7 8; do
  # shellcheck disable=SC2046
  jpegtran -perfect -copy none $(stored_transform "$n") -outfile "$tmp/o$n.jpg" "$tmp/upright.jpg"
  order=MM; [ $((n % 2)) -eq 0 ] && order=II
  python3 "$py" exif "$tmp/o$n.jpg" "$out/orientation-$n.jpg" "$n" "$order"
done

# CMYK and YCCK JPEGs (Adobe APP14, inverted), written by a tiny libjpeg program compiled here.
gcc -O1 -o "$tmp/cmyk-jpeg" "$here/make-fixtures-codecs-cmyk.c" -ljpeg
"$tmp/cmyk-jpeg" 96 64 "$tmp/cmyk.raw" "$out/cmyk-adobe.jpg" cmyk
"$tmp/cmyk-jpeg" 96 64 "$tmp/cmyk.raw" "$out/ycck-adobe.jpg" ycck

# JPEG 2000: lossless (5/3) JP2 and J2K, grey and RGB, 6 resolution levels (default).
opj_compress -i "$tmp/pattern.pgm" -o "$out/grey.jp2" >/dev/null
opj_compress -i "$tmp/pattern.ppm" -o "$out/rgb.jp2" >/dev/null
opj_compress -i "$tmp/pattern.pgm" -o "$out/grey.j2k" >/dev/null
opj_compress -i "$tmp/pattern.ppm" -o "$out/rgb.j2k" -r 8 -I >/dev/null   # lossy 9/7 at 8:1
# A card-chip-like portrait: 240×320 grey, lossy to about 12 KB (76 800 raw bytes / 6.4).
opj_compress -i "$tmp/face.pgm" -o "$out/portrait-240x320.jp2" -r 6.4 -I >/dev/null

ls -l "$out"
du -cb "$out"/* | tail -1
