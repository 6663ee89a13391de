#!/usr/bin/env python3
"""The face check through libmynaface from Python (ctypes, no build step).

    python3 examples/python/verify.py [--lib PATH] [--models DIR] PORTRAIT FRAME [FRAME...]

PORTRAIT: image bytes (or a DG2 record). One FRAME is verified alone; several are one fused attempt.
--lib defaults to $MYNAFACE_LIB, else libmynaface.so on the loader's path (Scripts/install-clib.sh installs it).
Prints one JSON line; exit 0 match, 1 no match, 2 not acquired, 3 input error, 4 models missing.
"""
import argparse
import ctypes
import json
import os
import sys

MYNAFACE_OK = 0
MYNAFACE_ERR_MODELS = 2
DECISIONS = {1: "match", 2: "noMatch", 3: "notAcquired"}


class Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int32), ("message", ctypes.c_char * 512)]


class Result(ctypes.Structure):
    _fields_ = [("decision", ctypes.c_int32), ("reason", ctypes.c_int32), ("has_scores", ctypes.c_int32),
                ("frames_fused", ctypes.c_int32), ("similarity", ctypes.c_double), ("distance", ctypes.c_double),
                ("threshold", ctypes.c_double), ("threshold_is_cosine", ctypes.c_int32), ("reserved", ctypes.c_int32),
                ("patient_message", ctypes.c_char_p), ("total_ms", ctypes.c_double)]


def load(path):
    lib = ctypes.CDLL(path)
    p, sz, u8p = ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint8)
    lib.mynaface_abi_version.restype = ctypes.c_int32
    lib.mynaface_status_name.restype = ctypes.c_char_p
    lib.mynaface_status_name.argtypes = [ctypes.c_int32]
    lib.mynaface_reason_name.restype = ctypes.c_char_p
    lib.mynaface_reason_name.argtypes = [ctypes.c_int32]
    lib.mynaface_verifier_create.argtypes = [ctypes.c_char_p, ctypes.c_uint32, ctypes.POINTER(p), ctypes.POINTER(Error)]
    lib.mynaface_verifier_free.argtypes = [p]
    lib.mynaface_enroll.argtypes = [p, ctypes.c_char_p, sz, ctypes.c_char_p, sz, ctypes.POINTER(p), ctypes.POINTER(Error)]
    lib.mynaface_verify_image.argtypes = [p, p, ctypes.c_char_p, sz, ctypes.POINTER(Result), ctypes.POINTER(Error)]
    lib.mynaface_verify_attempt.argtypes = [p, p, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(sz), sz,
                                            ctypes.POINTER(Result), ctypes.POINTER(Error)]
    lib.mynaface_template_free.argtypes = [p]
    lib.mynaface_template_serialize.argtypes = [p, ctypes.POINTER(u8p), ctypes.POINTER(sz), ctypes.POINTER(Error)]
    lib.mynaface_template_deserialize.argtypes = [u8p, sz, ctypes.POINTER(p), ctypes.POINTER(Error)]
    lib.mynaface_buffer_free.argtypes = [u8p, sz]
    for name in ("mynaface_verifier_create", "mynaface_enroll", "mynaface_verify_image", "mynaface_verify_attempt",
                 "mynaface_template_serialize", "mynaface_template_deserialize"):
        getattr(lib, name).restype = ctypes.c_int32
    return lib


def failure(lib, err):
    print(json.dumps({"error": lib.mynaface_status_name(err.code).decode(), "code": err.code,
                      "message": err.message.decode("utf-8", "replace")}, ensure_ascii=False))
    return 4 if err.code == MYNAFACE_ERR_MODELS else 3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", default=os.environ.get("MYNAFACE_LIB", "libmynaface.so"))
    ap.add_argument("--models")
    ap.add_argument("portrait")
    ap.add_argument("frames", nargs="+")
    args = ap.parse_args()
    lib = load(args.lib)
    err = Error()
    verifier = ctypes.c_void_p()
    models = args.models.encode() if args.models else None
    if lib.mynaface_verifier_create(models, 0, ctypes.byref(verifier), ctypes.byref(err)) != MYNAFACE_OK:
        return failure(lib, err)
    try:
        portrait = open(args.portrait, "rb").read()
        enrolled = ctypes.c_void_p()
        if lib.mynaface_enroll(verifier, portrait, len(portrait), None, 0, ctypes.byref(enrolled),
                               ctypes.byref(err)) != MYNAFACE_OK:
            return failure(lib, err)
        # Round trip through the serialised form (what a reader would keep for the visit).
        buf, n = ctypes.POINTER(ctypes.c_uint8)(), ctypes.c_size_t()
        st = lib.mynaface_template_serialize(enrolled, ctypes.byref(buf), ctypes.byref(n), ctypes.byref(err))
        lib.mynaface_template_free(enrolled)
        if st != MYNAFACE_OK:
            return failure(lib, err)
        template = ctypes.c_void_p()
        st = lib.mynaface_template_deserialize(buf, n, ctypes.byref(template), ctypes.byref(err))
        lib.mynaface_buffer_free(buf, n)
        if st != MYNAFACE_OK:
            return failure(lib, err)
        try:
            frames = [open(f, "rb").read() for f in args.frames]
            result = Result()
            if len(frames) == 1:
                st = lib.mynaface_verify_image(verifier, template, frames[0], len(frames[0]), ctypes.byref(result),
                                               ctypes.byref(err))
            else:
                images = (ctypes.c_char_p * len(frames))(*frames)
                lens = (ctypes.c_size_t * len(frames))(*[len(f) for f in frames])
                st = lib.mynaface_verify_attempt(verifier, template, images, lens, len(frames), ctypes.byref(result),
                                                 ctypes.byref(err))
            if st != MYNAFACE_OK:
                return failure(lib, err)
            out = {"decision": DECISIONS[result.decision], "framesFused": result.frames_fused,
                   "threshold": result.threshold}
            if result.has_scores:
                out.update(similarity=round(result.similarity, 6), distance=round(result.distance, 6))
            if result.decision == 3:
                out.update(reason=lib.mynaface_reason_name(result.reason).decode(),
                           patientMessage=result.patient_message.decode())
            print(json.dumps(out, ensure_ascii=False))
            return {1: 0, 2: 1, 3: 2}[result.decision]
        finally:
            lib.mynaface_template_free(template)
    finally:
        lib.mynaface_verifier_free(verifier)


if __name__ == "__main__":
    sys.exit(main())
