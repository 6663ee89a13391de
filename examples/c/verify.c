/*
 * verify.c — the face check through libmynaface's C interface.
 *
 *   cc -std=c99 -o verify examples/c/verify.c $(pkg-config --cflags --libs mynaface)
 *   ./verify [--models DIR] PORTRAIT FRAME [FRAME...]
 *
 * PORTRAIT: image bytes (or a DG2 record). One FRAME is verified alone; several are one fused attempt.
 * Also round-trips the template through serialise/deserialise and wipes it.
 * Exit: 0 match, 1 no match, 2 not acquired (the patient message is printed), 3 input error (code and message),
 * 4 models missing, 5 usage.
 */
#include <mynaface.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *bigger = realloc(buf, cap *= 2);
            if (!bigger) { free(buf); buf = NULL; }
            else buf = bigger;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static int fail(const mynaface_error *e) {
    printf("error %d (%s): %s\n", (int)e->code, mynaface_status_name(e->code), e->message);
    return e->code == MYNAFACE_ERR_MODELS ? 4 : 3;
}

int main(int argc, char **argv) {
    const char *models = NULL;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--models") == 0) { models = argv[2]; first = 3; }
    if (argc - first < 2) {
        fprintf(stderr, "usage: %s [--models DIR] PORTRAIT FRAME [FRAME...]\n", argv[0]);
        return 5;
    }
    mynaface_error err;
    mynaface_verifier *verifier = NULL;
    if (mynaface_verifier_create(models, 0, &verifier, &err) != MYNAFACE_OK) return fail(&err);

    size_t portrait_len = 0;
    uint8_t *portrait = read_file(argv[first], &portrait_len);
    if (!portrait) { fprintf(stderr, "cannot read %s\n", argv[first]); mynaface_verifier_free(verifier); return 5; }
    mynaface_template *enrolled = NULL;
    mynaface_status st = mynaface_enroll(verifier, portrait, portrait_len, NULL, 0, &enrolled, &err);
    free(portrait);
    if (st != MYNAFACE_OK) { mynaface_verifier_free(verifier); return fail(&err); }

    /* A template can be stored (only as consent allows) and read back; the copy compares the same. */
    uint8_t *stored = NULL;
    size_t stored_len = 0;
    mynaface_template *tmpl = NULL;
    if (mynaface_template_serialize(enrolled, &stored, &stored_len, &err) != MYNAFACE_OK ||
        mynaface_template_deserialize(stored, stored_len, &tmpl, &err) != MYNAFACE_OK) {
        mynaface_buffer_free(stored, stored_len);
        mynaface_template_free(enrolled);
        mynaface_verifier_free(verifier);
        return fail(&err);
    }
    mynaface_buffer_free(stored, stored_len);
    mynaface_template_free(enrolled);

    int frames = argc - first - 1;
    const uint8_t **images = calloc((size_t)frames, sizeof *images);
    size_t *lens = calloc((size_t)frames, sizeof *lens);
    int rc = 0;
    for (int i = 0; i < frames && images && lens; i++) {
        images[i] = read_file(argv[first + 1 + i], &lens[i]);
        if (!images[i]) { fprintf(stderr, "cannot read %s\n", argv[first + 1 + i]); rc = 5; }
    }
    mynaface_result result;
    if (rc == 0) {
        st = frames == 1 ? mynaface_verify_image(verifier, tmpl, images[0], lens[0], &result, &err)
                         : mynaface_verify_attempt(verifier, tmpl, images, lens, (size_t)frames, &result, &err);
        if (st != MYNAFACE_OK) {
            rc = fail(&err);
        } else if (result.decision == MYNAFACE_DECISION_NOT_ACQUIRED) {
            printf("not acquired: %s (%s)\n", mynaface_reason_name(result.reason), result.patient_message);
            rc = 2;
        } else {
            printf("%s similarity %.4f distance %.4f threshold %.4f frames fused %d\n",
                   result.decision == MYNAFACE_DECISION_MATCH ? "match" : "no match", result.similarity,
                   result.distance, result.threshold, (int)result.frames_fused);
            rc = result.decision == MYNAFACE_DECISION_MATCH ? 0 : 1;
        }
    }
    /* After a wipe the template answers MYNAFACE_ERR_TEMPLATE_WIPED. */
    mynaface_template_wipe(tmpl);
    if (rc <= 1 && mynaface_verify_image(verifier, tmpl, images[0], lens[0], &result, &err) != MYNAFACE_ERR_TEMPLATE_WIPED) {
        printf("wipe did not take\n");
        rc = 6;
    }
    for (int i = 0; i < frames && images; i++) free((void *)images[i]);
    free(images);
    free(lens);
    mynaface_template_free(tmpl);
    mynaface_verifier_free(verifier);
    return rc;
}
