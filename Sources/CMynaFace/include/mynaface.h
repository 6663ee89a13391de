/*
 * mynaface.h — the C interface of MynaFace, the face check of a My Number Card reader (libmynaface.so).
 *
 * C99, no Swift types. Link with `cc prog.c $(pkg-config --cflags --libs mynaface)`.
 *
 * Life cycle
 *   mynaface_verifier_create()  loads dlib's three models once (≈ 40 ms); one verifier serves every thread.
 *   mynaface_enroll()           the chip portrait (card-face file + EF 0004 certificate, DG2, or image bytes)
 *                               → an opaque template.
 *   mynaface_verify_image() / mynaface_verify_pixels()     one camera frame → a mynaface_result.
 *   mynaface_verify_attempt() / mynaface_verify_attempt_pixels()
 *                               several frames of one attempt, fused, compared once → one mynaface_result.
 *   mynaface_template_serialize() / _deserialize() / _wipe() / _free(), mynaface_buffer_free(),
 *   mynaface_verifier_free().
 *
 * Errors
 *   Every function that can fail returns a mynaface_status (MYNAFACE_OK = 0) and, when `error` is not NULL,
 *   fills the caller's mynaface_error with the same code and a one-line UTF-8 message. The message never holds
 *   image or biometric data. No function aborts the process on bad input: NULL pointers, zero or absurd sizes,
 *   truncated or corrupt images and damaged templates all return a code.
 *
 * Threads
 *   A verifier is immutable after creation: any number of threads may enrol and verify with it at once.
 *   A template may be used by several threads at once, including mynaface_template_wipe() (calls that
 *   start after the wipe return MYNAFACE_ERR_TEMPLATE_WIPED; calls already running finish first, then the
 *   descriptors are zeroed). mynaface_*_free() must be the last call on a handle (as free(3)).
 *   mynaface_error and mynaface_result are the caller's memory: nothing is shared between calls.
 *
 * Biometric data
 *   A template holds the portrait's face descriptor. mynaface_template_wipe() and _free() zero it;
 *   mynaface_template_serialize() writes it in clear (store it only as consent and policy allow, encrypted at
 *   rest) into a buffer that mynaface_buffer_free() zeroes before freeing it.
 */
#ifndef MYNAFACE_H
#define MYNAFACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The version of this interface; mynaface_abi_version() returns the library's. */
#define MYNAFACE_ABI_VERSION 1

/* ---- status codes (mynaface_status) -------------------------------------------------------------- */
typedef int32_t mynaface_status;
#define MYNAFACE_OK                        0
#define MYNAFACE_ERR_INVALID_ARGUMENT      1  /* NULL pointer, zero or absurd size, unknown pixel format */
#define MYNAFACE_ERR_MODELS                2  /* the models are missing or corrupt (run Scripts/fetch-models.sh) */
#define MYNAFACE_ERR_PORTRAIT_UNREADABLE   3  /* not a readable card-face file, DG2 record or image */
#define MYNAFACE_ERR_PORTRAIT_UNTRUSTED    4  /* the card-face file's certificate chain did not verify */
#define MYNAFACE_ERR_PORTRAIT_NO_FACE      5  /* the portrait holds no usable face */
#define MYNAFACE_ERR_IMAGE_UNREADABLE      6  /* a camera frame does not decode (corrupt, unknown format) */
#define MYNAFACE_ERR_IMAGE_TRUNCATED       7  /* a camera frame ends before its image does */
#define MYNAFACE_ERR_IMAGE_TOO_LARGE       8  /* a camera frame exceeds the size limits */
#define MYNAFACE_ERR_PIPELINE              9  /* the face pipeline refused the frame */
#define MYNAFACE_ERR_TEMPLATE_INVALID     10  /* bytes that are not an intact serialised template */
#define MYNAFACE_ERR_TEMPLATE_WIPED       11  /* the template was wiped */
#define MYNAFACE_ERR_INTERNAL             12  /* a defect: please report it */

/** Longest message, including its terminating NUL. */
#define MYNAFACE_ERROR_MESSAGE_SIZE 512

/** What went wrong: `code` (a MYNAFACE_ERR_* value) and a NUL-terminated UTF-8 message for staff or logs. */
typedef struct mynaface_error {
    mynaface_status code;
    char message[MYNAFACE_ERROR_MESSAGE_SIZE];
} mynaface_error;

/* ---- decisions and not-acquired reasons ---------------------------------------------------------- */
#define MYNAFACE_DECISION_MATCH         1  /* the face matches the portrait */
#define MYNAFACE_DECISION_NO_MATCH      2  /* a usable face was compared and does not match */
#define MYNAFACE_DECISION_NOT_ACQUIRED  3  /* no usable face: nothing compared; show the patient message */
#define MYNAFACE_DECISION_ATTACK_SUSPECTED 4  /* liveness check failed (only when enabled): PIN or staff; neutral message */

#define MYNAFACE_REASON_NONE             0  /* a face was acquired */
#define MYNAFACE_REASON_NO_FACE          1
#define MYNAFACE_REASON_FACE_TOO_SMALL   2
#define MYNAFACE_REASON_FACE_NEAR_EDGE   3
#define MYNAFACE_REASON_TOO_DARK         4
#define MYNAFACE_REASON_TOO_BRIGHT       5
#define MYNAFACE_REASON_BLURRED          6
#define MYNAFACE_REASON_HEAD_TURNED      7
#define MYNAFACE_REASON_HEAD_TILTED      8
#define MYNAFACE_REASON_HEAD_PITCHED     9
#define MYNAFACE_REASON_SECOND_FACE     10

/** The outcome of one frame or one attempt. Holds no descriptor and no image. */
typedef struct mynaface_result {
    int32_t decision;            /* MYNAFACE_DECISION_* */
    int32_t reason;              /* MYNAFACE_REASON_*; MYNAFACE_REASON_NONE unless decision is NOT_ACQUIRED */
    int32_t has_scores;          /* 1 when similarity and distance were computed, else 0 (and both are 0) */
    int32_t frames_fused;        /* frames fused into the compared descriptor (1 for a single frame) */
    double similarity;           /* cosine similarity, -1…1, higher = more alike */
    double distance;             /* Euclidean distance of the descriptors, ≥ 0, lower = more alike */
    double threshold;            /* the operating point's value the decision used */
    int32_t threshold_is_cosine; /* 1: accepted when similarity ≥ threshold; 0: when distance ≤ threshold */
    int32_t reserved;
    const char *patient_message; /* static UTF-8 text (Japanese / English) when NOT_ACQUIRED, else NULL */
    double total_ms;             /* wall-clock milliseconds of the call */
} mynaface_result;

/* ---- raw camera pixels --------------------------------------------------------------------------- */
#define MYNAFACE_PIXELS_GREY8   1  /* 1 byte a pixel */
#define MYNAFACE_PIXELS_RGB24   2  /* R, G, B */
#define MYNAFACE_PIXELS_BGR24   3  /* B, G, R */
#define MYNAFACE_PIXELS_RGBA32  4  /* R, G, B, A (alpha ignored) */
#define MYNAFACE_PIXELS_BGRA32  5  /* B, G, R, A (alpha ignored) */

/** One raw frame: `height` rows of `stride` bytes, the first `width` pixels of each used. */
typedef struct mynaface_frame {
    const uint8_t *pixels;
    uint32_t width;
    uint32_t height;
    size_t stride;               /* bytes from one row to the next, ≥ width × bytes per pixel */
    int32_t format;              /* MYNAFACE_PIXELS_* */
} mynaface_frame;

/* ---- verifier ------------------------------------------------------------------------------------ */
typedef struct mynaface_verifier mynaface_verifier;
typedef struct mynaface_template mynaface_template;

/** Trust the JPKI test hierarchy as well as the production anchor (test cards). */
#define MYNAFACE_FLAG_TEST_ANCHORS        1u
/** Accept a card-face file whose chain does not verify (test setups only; such templates never serialise). */
#define MYNAFACE_FLAG_ACCEPT_UNVERIFIED   2u

/** The interface version of the loaded library (MYNAFACE_ABI_VERSION when header and library agree). */
int32_t mynaface_abi_version(void);

/** The library's version string, e.g. "mynaface 1 (abi 1)"; static storage. */
const char *mynaface_version(void);

/**
 * Loads the models from `models_dir` (NULL: $MYNAFACE_MODELS, else ~/.cache/mynaface/models) into a new verifier
 * at the default operating points (calibrated on East-Asian faces). `flags`: MYNAFACE_FLAG_* or 0.
 * When $MYNAFACE_MODEL names an external embedding model directory (docs/models.md), the verifier uses that model
 * at its calibrated threshold (MYNAFACE_ERR_MODELS when it cannot be loaded or has no calibrated threshold file);
 * templates of another model are refused with MYNAFACE_ERR_TEMPLATE_INVALID.
 * On success *out is the verifier (free it with mynaface_verifier_free); on failure *out is NULL.
 */
mynaface_status mynaface_verifier_create(const char *models_dir, uint32_t flags, mynaface_verifier **out,
                                         mynaface_error *error);

/** Frees a verifier (NULL is ignored). Templates made with it stay valid. */
void mynaface_verifier_free(mynaface_verifier *verifier);

/* ---- enrolment ----------------------------------------------------------------------------------- */
/**
 * Enrols a portrait: a card-face file (EF 0002, with its EF 0004 certificate in `certificate`), a DG2 record, or
 * image bytes (JPEG, JPEG 2000, PNG; `certificate` NULL). A card-face file is authenticated first.
 * On success *out is a new template (free it with mynaface_template_free).
 */
mynaface_status mynaface_enroll(const mynaface_verifier *verifier, const uint8_t *portrait, size_t portrait_len,
                                const uint8_t *certificate, size_t certificate_len, mynaface_template **out,
                                mynaface_error *error);

/* ---- verification -------------------------------------------------------------------------------- */
/** Compares one encoded camera frame (JPEG or PNG bytes; EXIF orientation applied) with the template. */
mynaface_status mynaface_verify_image(const mynaface_verifier *verifier, const mynaface_template *tmpl,
                                      const uint8_t *image, size_t image_len, mynaface_result *result,
                                      mynaface_error *error);

/** Compares one raw camera frame with the template. */
mynaface_status mynaface_verify_pixels(const mynaface_verifier *verifier, const mynaface_template *tmpl,
                                       const mynaface_frame *frame, mynaface_result *result, mynaface_error *error);

/**
 * One face attempt over `count` encoded frames of the same patient (in time order): the best frames (up to 3) are
 * fused and compared once, at the fused operating point. The default operating point is strict: a genuine attempt
 * usually needs two or more good frames. A frame that does not decode fails the whole call.
 */
mynaface_status mynaface_verify_attempt(const mynaface_verifier *verifier, const mynaface_template *tmpl,
                                        const uint8_t *const *images, const size_t *image_lens, size_t count,
                                        mynaface_result *result, mynaface_error *error);

/** mynaface_verify_attempt() over raw frames. */
mynaface_status mynaface_verify_attempt_pixels(const mynaface_verifier *verifier, const mynaface_template *tmpl,
                                               const mynaface_frame *frames, size_t count, mynaface_result *result,
                                               mynaface_error *error);

/* ---- reasons ------------------------------------------------------------------------------------- */
/** A short instruction for the patient (Japanese / English) for a MYNAFACE_REASON_*; NULL for NONE or unknown. */
const char *mynaface_reason_message(int32_t reason);

/** The reason's name ("noFace", "faceTooSmall", …); NULL for NONE or unknown. */
const char *mynaface_reason_name(int32_t reason);

/** The status code's name ("MYNAFACE_ERR_IMAGE_TRUNCATED", …); "MYNAFACE_UNKNOWN" for an unknown code. */
const char *mynaface_status_name(mynaface_status status);

/* ---- templates ----------------------------------------------------------------------------------- */
/**
 * Writes the template as bytes into a new buffer: *out_bytes (free it with mynaface_buffer_free) of *out_len bytes.
 * A template accepted unverified (MYNAFACE_FLAG_ACCEPT_UNVERIFIED) is refused: MYNAFACE_ERR_TEMPLATE_INVALID.
 */
mynaface_status mynaface_template_serialize(const mynaface_template *tmpl, uint8_t **out_bytes, size_t *out_len,
                                            mynaface_error *error);

/** Reads bytes written by mynaface_template_serialize() into a new template. */
mynaface_status mynaface_template_deserialize(const uint8_t *bytes, size_t len, mynaface_template **out,
                                              mynaface_error *error);

/** Zeroes the template's descriptors; the handle stays valid and later calls return MYNAFACE_ERR_TEMPLATE_WIPED. */
void mynaface_template_wipe(mynaface_template *tmpl);

/** Wipes and frees a template (NULL is ignored). */
void mynaface_template_free(mynaface_template *tmpl);

/** Zeroes and frees a buffer from mynaface_template_serialize() (NULL is ignored). */
void mynaface_buffer_free(uint8_t *bytes, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* MYNAFACE_H */
