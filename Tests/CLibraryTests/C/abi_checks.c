/*
 * abi_checks.c — the C interface's contract on bad input, raw pixels, templates and threads (run by
 * CLibraryTests). Usage: abi_checks MODELS PORTRAIT.jpg FRAME_A.ppm FRAME_B.ppm IMPOSTOR.ppm
 * Prints one line per failed check and "checks passed: N"; exit 0 only when all pass.
 */
#include <mynaface.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed = 0, failed = 0;
#define CHECK(cond, what) do { if (cond) passed++; else { failed++; printf("FAILED: %s (line %d)\n", what, __LINE__); } } while (0)

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

/* A binary PPM (P6, maxval 255, no comments) copied into rows of `pad` extra bytes. */
static mynaface_frame read_ppm(const char *path, size_t pad) {
    mynaface_frame fr = {0};
    size_t len;
    uint8_t *b = read_file(path, &len);
    unsigned w, h, maxval;
    int off = 0;
    if (!b || sscanf((const char *)b, "P6 %u %u %u%n", &w, &h, &maxval, &off) != 3) return fr;
    const uint8_t *px = b + off + 1;
    fr.width = w; fr.height = h; fr.stride = (size_t)w * 3 + pad; fr.format = MYNAFACE_PIXELS_RGB24;
    uint8_t *rows = calloc(fr.stride * h, 1);
    for (unsigned y = 0; y < h; y++) memcpy(rows + y * fr.stride, px + (size_t)y * w * 3, (size_t)w * 3);
    fr.pixels = rows;
    free(b);
    return fr;
}

static mynaface_frame to_grey(mynaface_frame in) {
    mynaface_frame g = in;
    g.stride = in.width + 5;
    g.format = MYNAFACE_PIXELS_GREY8;
    uint8_t *p = calloc(g.stride * in.height, 1);
    for (uint32_t y = 0; y < in.height; y++)
        for (uint32_t x = 0; x < in.width; x++) {
            const uint8_t *s = in.pixels + y * in.stride + 3 * x;
            p[y * g.stride + x] = (uint8_t)((299 * s[0] + 587 * s[1] + 114 * s[2]) / 1000);
        }
    g.pixels = p;
    return g;
}

struct job { mynaface_verifier *v; mynaface_template *t; const mynaface_frame *frames; double similarity; int status; };

static void *run_job(void *arg) {
    struct job *j = arg;
    mynaface_result r;
    mynaface_error e;
    j->status = mynaface_verify_attempt_pixels(j->v, j->t, j->frames, 2, &r, &e);
    j->similarity = r.similarity;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: abi_checks MODELS PORTRAIT FRAME_A.ppm FRAME_B.ppm IMPOSTOR.ppm\n"); return 2; }
    setvbuf(stdout, NULL, _IONBF, 0);
    mynaface_error e;
    mynaface_result r;
    mynaface_verifier *v = NULL;
    mynaface_template *t = NULL;

    CHECK(mynaface_abi_version() == MYNAFACE_ABI_VERSION, "abi version");
    /* Bad input never aborts: codes. */
    CHECK(mynaface_verifier_create(argv[1], 0, NULL, &e) == MYNAFACE_ERR_INVALID_ARGUMENT, "create: out NULL");
    CHECK(mynaface_verifier_create("/nonexistent/models", 0, &v, &e) == MYNAFACE_ERR_MODELS && v == NULL, "create: no models");
    CHECK(e.code == MYNAFACE_ERR_MODELS && strlen(e.message) > 0, "error slot filled");
    CHECK(mynaface_verifier_create(argv[1], 0x80, &v, &e) == MYNAFACE_ERR_INVALID_ARGUMENT, "create: unknown flag");
    CHECK(mynaface_verifier_create(argv[1], 0, &v, NULL) == MYNAFACE_OK && v != NULL, "create (error NULL)");

    size_t plen;
    uint8_t *portrait = read_file(argv[2], &plen);
    CHECK(mynaface_enroll(NULL, portrait, plen, NULL, 0, &t, &e) == MYNAFACE_ERR_INVALID_ARGUMENT, "enroll: verifier NULL");
    CHECK(mynaface_enroll(v, NULL, 100, NULL, 0, &t, &e) == MYNAFACE_ERR_INVALID_ARGUMENT, "enroll: portrait NULL");
    CHECK(mynaface_enroll(v, portrait, 0, NULL, 0, &t, &e) == MYNAFACE_ERR_INVALID_ARGUMENT, "enroll: empty");
    CHECK(mynaface_enroll(v, portrait, SIZE_MAX, NULL, 0, &t, &e) == MYNAFACE_ERR_IMAGE_TOO_LARGE, "enroll: absurd size");
    CHECK(mynaface_enroll(v, portrait, plen / 2, NULL, 0, &t, &e) == MYNAFACE_ERR_PORTRAIT_UNREADABLE, "enroll: truncated");
    CHECK(mynaface_enroll(v, portrait, plen, NULL, 0, &t, &e) == MYNAFACE_OK && t != NULL, "enroll");
    mynaface_template *other = NULL;
    CHECK(mynaface_enroll((mynaface_verifier *)t, portrait, plen, NULL, 0, &other, &e) == MYNAFACE_ERR_INVALID_ARGUMENT
          && other == NULL, "a template passed as the verifier");

    CHECK(mynaface_verify_image(v, t, portrait, plen, NULL, &e) == MYNAFACE_ERR_INVALID_ARGUMENT, "verify: result NULL");
    CHECK(mynaface_verify_image(v, NULL, portrait, plen, &r, &e) == MYNAFACE_ERR_INVALID_ARGUMENT, "verify: template NULL");
    CHECK(mynaface_verify_image(v, t, portrait, plen / 2, &r, &e) == MYNAFACE_ERR_IMAGE_TRUNCATED, "verify: half a JPEG");
    static const uint8_t junk[] = "not an image at all";
    CHECK(mynaface_verify_image(v, t, junk, sizeof junk, &r, &e) == MYNAFACE_ERR_IMAGE_UNREADABLE, "verify: junk");
    CHECK(mynaface_verify_attempt(v, t, NULL, NULL, 2, &r, &e) == MYNAFACE_ERR_INVALID_ARGUMENT, "attempt: NULL arrays");
    CHECK(mynaface_verify_attempt(v, t, NULL, NULL, 0, &r, &e) == MYNAFACE_ERR_INVALID_ARGUMENT, "attempt: no frames");

    /* Raw pixels: padded rows, RGB and BGR and grey; the genuine pair of frames matches, the impostor does not. */
    mynaface_frame pair[2] = { read_ppm(argv[3], 13), read_ppm(argv[4], 0) };
    mynaface_frame impostor = read_ppm(argv[5], 7);
    CHECK(pair[0].pixels && pair[1].pixels && impostor.pixels, "PPM frames read");
    CHECK(mynaface_verify_attempt_pixels(v, t, pair, 2, &r, &e) == MYNAFACE_OK && r.decision == MYNAFACE_DECISION_MATCH
          && r.frames_fused == 2 && r.has_scores == 1 && r.threshold_is_cosine == 1, "pixels: genuine attempt matches");
    double genuine = r.similarity;
    CHECK(mynaface_verify_pixels(v, t, &impostor, &r, &e) == MYNAFACE_OK && r.decision == MYNAFACE_DECISION_NO_MATCH
          && r.similarity < genuine, "pixels: impostor does not match");
    mynaface_frame g = to_grey(impostor);
    CHECK(mynaface_verify_pixels(v, t, &g, &r, &e) == MYNAFACE_OK && r.decision == MYNAFACE_DECISION_NO_MATCH, "grey frame");
    mynaface_frame bad = pair[0];
    bad.stride = 10;
    CHECK(mynaface_verify_pixels(v, t, &bad, &r, &e) == MYNAFACE_ERR_INVALID_ARGUMENT, "stride shorter than a row");
    bad = pair[0]; bad.width = 1000000000u; bad.height = 1000000000u; bad.stride = SIZE_MAX / 2;
    CHECK(mynaface_verify_pixels(v, t, &bad, &r, &e) == MYNAFACE_ERR_IMAGE_TOO_LARGE, "absurd frame size");
    bad = pair[0]; bad.format = 99;
    CHECK(mynaface_verify_pixels(v, t, &bad, &r, &e) == MYNAFACE_ERR_INVALID_ARGUMENT, "unknown pixel format");
    uint8_t black[64 * 64] = {0};
    mynaface_frame empty = { black, 64, 64, 64, MYNAFACE_PIXELS_GREY8 };
    CHECK(mynaface_verify_pixels(v, t, &empty, &r, &e) == MYNAFACE_OK && r.decision == MYNAFACE_DECISION_NOT_ACQUIRED
          && r.reason == MYNAFACE_REASON_NO_FACE && r.has_scores == 0 && r.patient_message != NULL
          && strcmp(r.patient_message, mynaface_reason_message(MYNAFACE_REASON_NO_FACE)) == 0, "no face: reason and message");

    /* Templates: serialise, damage, read back. */
    uint8_t *bytes = NULL;
    size_t n = 0;
    CHECK(mynaface_template_serialize(t, &bytes, &n, &e) == MYNAFACE_OK && n == 1160, "serialise: 1160 bytes");
    mynaface_template *copy = NULL;
    if (!bytes) { printf("FAILED: serialise gave no bytes: %s\n", e.message); return 1; }
    bytes[100] ^= 1;
    CHECK(mynaface_template_deserialize(bytes, n, &copy, &e) == MYNAFACE_ERR_TEMPLATE_INVALID && copy == NULL, "damaged template");
    bytes[100] ^= 1;
    CHECK(mynaface_template_deserialize(bytes, n - 1, &copy, &e) == MYNAFACE_ERR_TEMPLATE_INVALID, "truncated template");
    CHECK(mynaface_template_deserialize(junk, sizeof junk, &copy, &e) == MYNAFACE_ERR_TEMPLATE_INVALID, "junk template");
    CHECK(mynaface_template_deserialize(bytes, n, &copy, &e) == MYNAFACE_OK, "template read back");
    mynaface_buffer_free(bytes, n);
    CHECK(mynaface_verify_attempt_pixels(v, copy, pair, 2, &r, &e) == MYNAFACE_OK && r.similarity == genuine,
          "the copy compares the same");

    /* Threads: four verifications of one template at once agree; a wipe while they run is safe. */
    pthread_t th[4];
    struct job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct job){ v, copy, pair, 0, -1 };
        pthread_create(&th[i], NULL, run_job, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) CHECK(jobs[i].status == MYNAFACE_OK && jobs[i].similarity == genuine, "concurrent verify");
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, run_job, &jobs[i]);
    mynaface_template_wipe(copy);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++)
        CHECK(jobs[i].status == MYNAFACE_ERR_TEMPLATE_WIPED || (jobs[i].status == MYNAFACE_OK && jobs[i].similarity == genuine),
              "verify racing a wipe: the old answer or WIPED");
    CHECK(mynaface_verify_pixels(v, copy, &pair[0], &r, &e) == MYNAFACE_ERR_TEMPLATE_WIPED, "after wipe");
    CHECK(mynaface_template_serialize(copy, &bytes, &n, &e) == MYNAFACE_ERR_TEMPLATE_WIPED && bytes == NULL, "serialise wiped");

    CHECK(strcmp(mynaface_status_name(MYNAFACE_ERR_IMAGE_TRUNCATED), "MYNAFACE_ERR_IMAGE_TRUNCATED") == 0, "status name");
    CHECK(strcmp(mynaface_status_name(-5), "MYNAFACE_UNKNOWN") == 0, "unknown status name");
    CHECK(mynaface_reason_message(0) == NULL && mynaface_reason_message(11) == NULL, "reason out of range");

    mynaface_template_free(copy);
    mynaface_template_free(t);
    mynaface_template_free(NULL);
    mynaface_verifier_free(v);
    mynaface_verifier_free(NULL);
    free(portrait);
    printf("checks passed: %d, failed: %d\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
