#!/bin/sh
# The faster encoder (README, "The engine"): dlib compiled from the package registry's source
# distribution against OpenBLAS, in place of the prebuilt dlib-bin wheel.
#
#   deploy/engine-fast.sh wheel     build the wheel once into .cache/engine-fast/ (about 16
#                                   minutes of both cores, 1.4 GB of memory at peak)
#   deploy/engine-fast.sh install   build if needed, then swap it in for dlib-bin in .venv and
#                                   check that it encodes as dlib-bin does (within 1e-6)
#   deploy/engine-fast.sh bin       go back to dlib-bin
#   deploy/engine-fast.sh reapply   after `make install` reinstalled the requirements: swap the
#                                   cached build back in if `make engine-fast` had installed it
#   deploy/engine-fast.sh wheel-path  print the cached wheel's path, if it is built
#   deploy/engine-fast.sh march       print the instruction set a build here is compiled for
#
# Measured on these machines: one face encoding took 0.148 s with dlib-bin and 0.031 s with
# this build at one BLAS thread per process (DESIGN.md, "Infrastructure"); benchmarks/README.md
# has the figures of benchmarks/bench_encode.py.
set -eu
# Paths below are the repository's; VENV may be given relative to it (make passes .venv).
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PY="$VENV/bin/python"
CACHE=${ENGINE_FAST_CACHE:-.cache/engine-fast}
# The source release matching the pinned dlib-bin, so that the encodings stay the same.
DLIB_VERSION=$(sed -n 's/^dlib-bin==\([0-9][0-9.]*[0-9]\)\(\.post[0-9]*\)\{0,1\}$/\1/p' requirements.txt)
WHEEL_DIR="$CACHE/dlib-$DLIB_VERSION"
MARKER="$VENV/.engine-fast"

die() {
    echo "engine-fast: $*" >&2
    exit 1
}

[ -n "$DLIB_VERSION" ] || die "no dlib-bin==<version> pin found in requirements.txt"
[ -x "$PY" ] || die "$PY is missing: run 'make install' first"

wheel_path() {
    ls "$WHEEL_DIR"/dlib-"$DLIB_VERSION"-*.whl 2>/dev/null | head -n 1
}

has_openblas_dev() {
    # dlib's CMake finds OpenBLAS through the development package's libopenblas.so.
    if command -v dpkg-query >/dev/null 2>&1; then
        dpkg-query -W -f='${Status}' libopenblas-dev 2>/dev/null | grep -q "install ok installed"
        return
    fi
    for dir in /usr/lib64 /usr/lib /usr/local/lib /opt/OpenBLAS/lib; do
        [ -e "$dir/libopenblas.so" ] && return 0
    done
    return 1
}

check_tools() {
    missing=""
    command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
    command -v c++ >/dev/null 2>&1 || missing="$missing g++"
    has_openblas_dev || missing="$missing libopenblas-dev"
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "engine-fast: installing$missing with apt-get"
        apt-get install -y --no-install-recommends $missing \
            || { apt-get update -qq && apt-get install -y --no-install-recommends $missing; } \
            || die "apt-get could not install$missing"
    else
        die "missing$missing. Install them first, e.g. 'sudo apt-get install$missing', then run make engine-fast again."
    fi
}

# The extension must load OpenBLAS: without it dlib falls back to its own matrix code, which
# is no faster than dlib-bin. Fails loudly rather than installing a slow build.
check_links_openblas() {
    # $1: a directory holding the installed dlib extension.
    ext=$(ls "$1"/_dlib_pybind11*.so 2>/dev/null | head -n 1)
    [ -n "$ext" ] || die "no _dlib_pybind11 extension under $1"
    if ! ldd "$ext" | grep -q "libopenblas"; then
        ldd "$ext" >&2
        die "$ext does not link OpenBLAS (see ldd above): the build found no OpenBLAS. Install libopenblas-dev, delete $WHEEL_DIR and run make engine-fast again."
    fi
}

# The instruction set the build is compiled for. x86-64-v3 (AVX2, FMA, BMI2: Intel since 2013,
# AMD since 2015) when this processor has it: dlib's own loops (HOG detection above all) then run
# about twice as fast as with dlib's default of plain AVX, and match dlib-bin's speed; the
# OpenBLAS products are chosen at run time either way. ENGINE_FAST_MARCH overrides it ("" for
# dlib's default). The choice is kept beside the wheel and checked before every install, so a
# cached build is never loaded on a processor that cannot run it.
V3_FLAGS="avx avx2 bmi1 bmi2 f16c fma abm movbe xsave"
CPUINFO=${ENGINE_FAST_CPUINFO:-/proc/cpuinfo}
has_cpu_flags() {
    [ -r "$CPUINFO" ] || return 1
    flags=" $(sed -n 's/^flags[[:space:]]*: //p' "$CPUINFO" | head -n 1) "
    for flag in "$@"; do
        case "$flags" in *" $flag "*) ;; *) return 1 ;; esac
    done
}

default_march() {
    if [ "$(uname -m)" = x86_64 ] && has_cpu_flags $V3_FLAGS; then echo x86-64-v3; fi
}

check_march() {
    # $1: the instruction set a cached wheel was built for.
    case "$1" in
        "") return 0 ;;
        x86-64-v3) has_cpu_flags $V3_FLAGS && return 0 ;;
        *) return 0 ;; # chosen by hand with ENGINE_FAST_MARCH: the builder's own responsibility
    esac
    echo "engine-fast: the cached build in $WHEEL_DIR was compiled for $1, which this processor cannot run (it lacks one of: $V3_FLAGS). Delete $WHEEL_DIR and run make engine-fast again to build for this processor." >&2
    return 1
}

wheel_march() {
    cat "$WHEEL_DIR/march" 2>/dev/null || true
}

build_wheel() {
    if [ -n "$(wheel_path)" ]; then
        echo "engine-fast: reusing $(wheel_path)"
        return 0
    fi
    check_tools
    mkdir -p "$CACHE"
    tmp="$WHEEL_DIR.partial"
    rm -rf "$tmp"
    march=${ENGINE_FAST_MARCH-$(default_march)}
    flags=""
    [ -n "$march" ] && flags="-march=$march"
    echo "engine-fast: building dlib $DLIB_VERSION from source against OpenBLAS${march:+ for $march} (about 16 minutes)"
    # --no-cache-dir: pip's cache would otherwise hand back a dlib wheel built earlier, perhaps
    # without BLAS. --no-binary dlib: the source distribution, with its build tools (setuptools,
    # cmake) still taken as wheels. DLIB_USE_* reach CMake through dlib's setup.py; CUDA is off
    # so that a GPU toolkit on the building machine is never required on the running one.
    # CMake takes CFLAGS and CXXFLAGS from the environment as the compilers' base flags.
    CFLAGS="$flags" CXXFLAGS="$flags" DLIB_USE_BLAS=ON DLIB_USE_LAPACK=ON DLIB_USE_CUDA=OFF \
        nice -n "${ENGINE_FAST_NICE:-10}" "$PY" -m pip wheel --no-cache-dir --no-deps \
        --no-binary dlib "dlib==$DLIB_VERSION" --wheel-dir "$tmp" \
        || die "the dlib build failed (see above)"
    # Look inside the wheel before keeping it.
    rm -rf "$tmp/unpacked"
    "$PY" -m zipfile -e "$tmp"/dlib-*.whl "$tmp/unpacked"
    check_links_openblas "$tmp/unpacked"
    rm -rf "$tmp/unpacked" "$WHEEL_DIR"
    echo "$march" >"$tmp/march"
    mv "$tmp" "$WHEEL_DIR"
    echo "engine-fast: built $(wheel_path)"
}

site_packages() {
    "$PY" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])"
}

# The same face, the same known box, encoded by dlib-bin (recorded before the swap) and by the
# new build: face_recognition's results must not change with the engine.
SAMPLE_ENCODING="$CACHE/dlib-bin-$DLIB_VERSION-encoding.npy"
encode_sample() {
    # $1: where to write the encoding.
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$PY" -W "ignore:pkg_resources is deprecated" - "$1" <<'EOF'
import sys
from pathlib import Path

import numpy as np

import face_recognition_models  # noqa: F401  (its real import error first, DESIGN.md)
import face_recognition
from matching.samples import ensure_sample_faces

image = face_recognition.load_image_file(ensure_sample_faces() / "obama.jpg")
boxes = face_recognition.face_locations(image, number_of_times_to_upsample=0)
if len(boxes) != 1:
    sys.exit(f"expected one face in the sample, found {len(boxes)}")
np.save(Path(sys.argv[1]), face_recognition.face_encodings(image, boxes)[0])
EOF
}

compare_sample() {
    "$PY" - "$SAMPLE_ENCODING" "$1" <<'EOF'
import sys

import numpy as np

before, after = np.load(sys.argv[1]), np.load(sys.argv[2])
diff = float(np.max(np.abs(before - after)))
print(f"engine-fast: the sample face's encoding differs from dlib-bin's by at most {diff:.2e}")
# The builds sum dlib's matrix products in different orders: a few float32 steps apart
# (3e-7 measured), never more than a millionth.
sys.exit(1 if diff > 1e-6 else 0)
EOF
}

installed_dlib() {
    if "$PY" -m pip show dlib-bin >/dev/null 2>&1; then echo dlib-bin; return; fi
    if "$PY" -m pip show dlib >/dev/null 2>&1; then echo dlib; return; fi
    echo none
}

install_fast() {
    build_wheel
    wheel=$(wheel_path)
    if ! check_march "$(wheel_march)"; then
        [ "$(installed_dlib)" = dlib-bin ] || install_bin
        exit 1
    fi
    if [ "$(installed_dlib)" = dlib-bin ]; then
        "$PY" -m matching.samples >/dev/null
        encode_sample "$SAMPLE_ENCODING"
    fi
    # Both distributions own the same files (dlib/ and _dlib_pybind11*.so): remove dlib-bin
    # first, then force the wheel in, so no file of one is left under the other's name.
    "$PY" -m pip uninstall --quiet --yes dlib-bin dlib 2>/dev/null || true
    "$PY" -m pip install --quiet --no-deps --force-reinstall "$wheel"
    check_links_openblas "$(site_packages)"
    "$PY" -W "ignore:pkg_resources is deprecated" -c "import face_recognition_models, face_recognition"
    echo "$wheel" >"$MARKER"
    if [ -f "$SAMPLE_ENCODING" ]; then
        "$PY" -m matching.samples >/dev/null
        encode_sample "$CACHE/engine-fast-$DLIB_VERSION-encoding.npy"
        if ! compare_sample "$CACHE/engine-fast-$DLIB_VERSION-encoding.npy"; then
            # An engine that encodes differently must not stay in place, even for a moment.
            install_bin
            die "the OpenBLAS build encodes differently from dlib-bin; dlib-bin is back in place"
        fi
    else
        echo "engine-fast: no dlib-bin encoding recorded to compare with (dlib-bin was not installed)"
    fi
    echo "engine-fast: dlib $DLIB_VERSION with OpenBLAS is installed in $VENV; 'make engine-bin' goes back"
}

install_bin() {
    "$PY" -m pip uninstall --quiet --yes dlib dlib-bin 2>/dev/null || true
    rm -f "$MARKER"
    "$PY" -m pip install --quiet --no-deps --force-reinstall \
        "$(grep '^dlib-bin==' requirements.txt)"
    "$PY" -W "ignore:pkg_resources is deprecated" -c "import face_recognition_models, face_recognition"
    echo "engine-fast: dlib-bin is installed in $VENV again"
}

reapply() {
    # `make install` runs this after `pip install -r requirements.txt`, which puts dlib-bin's
    # files over the OpenBLAS build's (both own dlib/ and _dlib_pybind11*.so). It must stay
    # quick: it never starts the 16-minute build, and without the cached wheel it goes back to
    # dlib-bin whole rather than leave the two mixed.
    [ -f "$MARKER" ] || return 0
    if [ -n "$(wheel_path)" ] && ! check_march "$(wheel_march)"; then
        echo "engine-fast: going back to dlib-bin" >&2
        install_bin
    elif [ -n "$(wheel_path)" ]; then
        install_fast
    else
        echo "engine-fast: the cached build is gone from $WHEEL_DIR; going back to dlib-bin (make engine-fast rebuilds it)" >&2
        install_bin
    fi
}

case "${1:-}" in
    wheel) build_wheel ;;
    install) install_fast ;;
    reapply) reapply ;;
    bin) install_bin ;;
    wheel-path) wheel_path ;;
    march) default_march ;;
    *) die "usage: $0 wheel|install|bin|reapply|wheel-path|march" ;;
esac
