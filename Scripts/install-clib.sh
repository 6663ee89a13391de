#!/usr/bin/env bash
# Builds and installs the C interface: PREFIX/lib/libmynaface.so, PREFIX/include/mynaface.h,
# PREFIX/lib/pkgconfig/mynaface.pc (default PREFIX /usr/local).
#
#   bash Scripts/install-clib.sh [PREFIX]
#   cc prog.c $(PKG_CONFIG_PATH=PREFIX/lib/pkgconfig pkg-config --cflags --libs mynaface)
#
# MYNAFACE_CLIB_BUILT=path/to/libmynaface-c.so installs that build instead of building (the tests do this with
# the library of their own build). The library links the Swift runtime from the toolchain it was built with
# (its run path names that folder) and libjpeg, OpenJPEG, libpng and BLAS from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${1:-/usr/local}"
built="${MYNAFACE_CLIB_BUILT:-}"
if [ -z "$built" ]; then
  bash Scripts/install-system-deps.sh
  swift build -c release --product mynaface-c 2>&1 | grep -E "error|warning: unable" || true
  built="$(swift build -c release --show-bin-path)/libmynaface-c.so"
fi
[ -f "$built" ] || { echo "install-clib: $built was not built" >&2; exit 1; }
mkdir -p "$prefix/lib/pkgconfig" "$prefix/include"
prefix="$(cd "$prefix" && pwd)"
install -m 0755 "$built" "$prefix/lib/libmynaface.so"
install -m 0644 Sources/CMynaFace/include/mynaface.h "$prefix/include/mynaface.h"
version="$(sed -n 's/^#define MYNAFACE_ABI_VERSION \([0-9]*\).*/\1/p' Sources/CMynaFace/include/mynaface.h)"
cat > "$prefix/lib/pkgconfig/mynaface.pc" <<PC
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: mynaface
Description: MynaFace, the face check of a My Number Card reader (C interface)
Version: $version.0.0
Cflags: -I\${includedir}
Libs: -L\${libdir} -Wl,-rpath,\${libdir} -lmynaface
PC
echo "install-clib: installed libmynaface.so, mynaface.h and mynaface.pc under $prefix"
