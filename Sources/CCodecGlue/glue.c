// setjmp/longjmp trampolines for libjpeg (see CCodecGlue.h). No libjpeg call here may return through
// libjpeg's default error manager, which would call exit().
#include "CCodecGlue.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct mf_error_mgr {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int status;                          // MF_JPEG_* to report after the longjmp
    char message[JMSG_LENGTH_MAX + 64];
} mf_error_mgr;

struct mf_jpeg_decoder {
    struct jpeg_decompress_struct cinfo;
    mf_error_mgr err;
    struct jpeg_progress_mgr progress;
    int max_scans;
    int header_read;
    int prepared;
};

static void mf_error_exit(j_common_ptr cinfo) {
    mf_error_mgr *err = (mf_error_mgr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    if (err->status == MF_JPEG_OK) err->status = MF_JPEG_ERROR;
    longjmp(err->jump, 1);
}

static void mf_emit_message(j_common_ptr cinfo, int msg_level) {
    mf_error_mgr *err = (mf_error_mgr *)cinfo->err;
    if (msg_level >= 0) return;  // trace messages: ignored
    err->pub.num_warnings++;
    if (err->pub.msg_code == JWRN_JPEG_EOF) {
        // The memory source pads missing data with a fake EOI and only warns: for us a truncated file is an error.
        (*cinfo->err->format_message)(cinfo, err->message);
        err->status = MF_JPEG_TRUNCATED;
        longjmp(err->jump, 1);
    }
    // Other warnings (recoverable corrupt data) are tolerated: the image decodes.
}

static void mf_output_message(j_common_ptr cinfo) { (void)cinfo; }  // never print to stderr

static void mf_progress(j_common_ptr common) {
    mf_jpeg_decoder *d = (mf_jpeg_decoder *)((char *)common - offsetof(mf_jpeg_decoder, cinfo));
    if (d->max_scans > 0 && d->cinfo.input_scan_number > d->max_scans) {
        snprintf(d->err.message, sizeof d->err.message, "more than %d progressive scans", d->max_scans);
        d->err.status = MF_JPEG_TOO_MANY_SCANS;
        longjmp(d->err.jump, 1);
    }
}

static void mf_install_error_mgr(mf_error_mgr *err) {
    jpeg_std_error(&err->pub);
    err->pub.error_exit = mf_error_exit;
    err->pub.emit_message = mf_emit_message;
    err->pub.output_message = mf_output_message;
    err->status = MF_JPEG_OK;
    err->message[0] = 0;
}

mf_jpeg_decoder *mf_jpeg_decoder_create(void) {
    mf_jpeg_decoder *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->cinfo.err = &d->err.pub;
    mf_install_error_mgr(&d->err);
    if (setjmp(d->err.jump)) {
        free(d);
        return NULL;
    }
    jpeg_create_decompress(&d->cinfo);
    d->progress.progress_monitor = mf_progress;
    d->cinfo.progress = &d->progress;
    return d;
}

void mf_jpeg_decoder_destroy(mf_jpeg_decoder *d) {
    if (!d) return;
    jpeg_destroy_decompress(&d->cinfo);  // never raises
    free(d);
}

void mf_jpeg_set_max_scans(mf_jpeg_decoder *d, int max_scans) {
    if (d) d->max_scans = max_scans;
}

static int mf_fail(mf_jpeg_decoder *d) {
    int status = d->err.status == MF_JPEG_OK ? MF_JPEG_ERROR : d->err.status;
    d->err.status = MF_JPEG_OK;
    jpeg_abort_decompress(&d->cinfo);
    d->header_read = 0;
    d->prepared = 0;
    d->err.status = status;  // keep for the caller; message stays
    return status;
}

static int mf_color_space(J_COLOR_SPACE cs) {
    switch (cs) {
    case JCS_GRAYSCALE: return MF_JCS_GRAYSCALE;
    case JCS_RGB: return MF_JCS_RGB;
    case JCS_YCbCr: return MF_JCS_YCbCr;
    case JCS_CMYK: return MF_JCS_CMYK;
    case JCS_YCCK: return MF_JCS_YCCK;
    default: return MF_JCS_UNKNOWN;
    }
}

int mf_jpeg_read_header(mf_jpeg_decoder *d, const unsigned char *data, unsigned long size, mf_jpeg_info *info) {
    if (!d || !data || !info || size == 0 || d->header_read) return MF_JPEG_BAD_CALL;
    memset(info, 0, sizeof *info);
    d->err.status = MF_JPEG_OK;
    if (setjmp(d->err.jump)) return mf_fail(d);
    jpeg_save_markers(&d->cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_mem_src(&d->cinfo, data, size);
    int rc = jpeg_read_header(&d->cinfo, TRUE);
    if (rc != JPEG_HEADER_OK) {
        snprintf(d->err.message, sizeof d->err.message, "no image in the JPEG data (tables only)");
        d->err.status = MF_JPEG_ERROR;
        return mf_fail(d);
    }
    d->header_read = 1;
    info->width = d->cinfo.image_width;
    info->height = d->cinfo.image_height;
    info->components = d->cinfo.num_components;
    info->color_space = mf_color_space(d->cinfo.jpeg_color_space);
    info->progressive = d->cinfo.progressive_mode ? 1 : 0;
    info->saw_adobe_marker = d->cinfo.saw_Adobe_marker ? 1 : 0;
    for (jpeg_saved_marker_ptr m = d->cinfo.marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && memcmp(m->data, "Exif\0\0", 6) == 0) {
            info->exif = m->data;
            info->exif_length = m->data_length;
            break;
        }
    }
    return MF_JPEG_OK;
}

int mf_jpeg_prepare(mf_jpeg_decoder *d, int out_components, int scale_denom,
                    unsigned int *out_width, unsigned int *out_height) {
    if (!d || !d->header_read || !out_width || !out_height) return MF_JPEG_BAD_CALL;
    if (scale_denom != 1 && scale_denom != 2 && scale_denom != 4 && scale_denom != 8) return MF_JPEG_BAD_CALL;
    d->err.status = MF_JPEG_OK;
    if (setjmp(d->err.jump)) return mf_fail(d);
    switch (out_components) {
    case 1: d->cinfo.out_color_space = JCS_GRAYSCALE; break;
    case 3: d->cinfo.out_color_space = JCS_RGB; break;
    case 4: d->cinfo.out_color_space = JCS_CMYK; break;
    default: return MF_JPEG_BAD_CALL;
    }
    d->cinfo.scale_num = 1;
    d->cinfo.scale_denom = (unsigned int)scale_denom;
    jpeg_calc_output_dimensions(&d->cinfo);
    if (d->cinfo.output_components != out_components) {
        snprintf(d->err.message, sizeof d->err.message, "cannot convert %d components to %d",
                 d->cinfo.num_components, out_components);
        d->err.status = MF_JPEG_ERROR;
        return mf_fail(d);
    }
    *out_width = d->cinfo.output_width;
    *out_height = d->cinfo.output_height;
    d->prepared = 1;
    return MF_JPEG_OK;
}

int mf_jpeg_decode(mf_jpeg_decoder *d, unsigned char *dst, size_t dst_size, size_t stride) {
    if (!d || !d->prepared || !dst) return MF_JPEG_BAD_CALL;
    size_t row_bytes = (size_t)d->cinfo.output_width * (size_t)d->cinfo.output_components;
    if (stride < row_bytes || dst_size / stride < (size_t)d->cinfo.output_height) return MF_JPEG_BAD_CALL;
    d->err.status = MF_JPEG_OK;
    if (setjmp(d->err.jump)) return mf_fail(d);
    jpeg_start_decompress(&d->cinfo);
    // start_decompress may change nothing about the size computed in prepare, but check anyway.
    row_bytes = (size_t)d->cinfo.output_width * (size_t)d->cinfo.output_components;
    if (stride < row_bytes || dst_size / stride < (size_t)d->cinfo.output_height) {
        snprintf(d->err.message, sizeof d->err.message, "output size changed during decode");
        d->err.status = MF_JPEG_ERROR;
        return mf_fail(d);
    }
    while (d->cinfo.output_scanline < d->cinfo.output_height) {
        JSAMPROW row = dst + (size_t)d->cinfo.output_scanline * stride;
        if (jpeg_read_scanlines(&d->cinfo, &row, 1) != 1) {
            snprintf(d->err.message, sizeof d->err.message, "libjpeg returned no scanline");
            d->err.status = MF_JPEG_TRUNCATED;
            return mf_fail(d);
        }
    }
    jpeg_finish_decompress(&d->cinfo);
    d->prepared = 0;
    d->header_read = 0;
    return MF_JPEG_OK;
}

const char *mf_jpeg_message(const mf_jpeg_decoder *d) {
    return d ? d->err.message : "no decoder";
}

void mf_free(void *pointer) { free(pointer); }

typedef struct mf_jpeg_encoder {
    struct jpeg_compress_struct cinfo;
    mf_error_mgr err;
    unsigned char *buffer;
    unsigned long size;
} mf_jpeg_encoder;

static int mf_encode_body(mf_jpeg_encoder *e, const unsigned char *pixels, unsigned int width, unsigned int height,
                          int components, int quality, int progressive, int subsample_chroma) {
    // Separate function so the volatile-free locals are not live across setjmp in the caller.
    jpeg_create_compress(&e->cinfo);
    jpeg_mem_dest(&e->cinfo, &e->buffer, &e->size);
    e->cinfo.image_width = width;
    e->cinfo.image_height = height;
    e->cinfo.input_components = components;
    e->cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : (components == 3 ? JCS_RGB : JCS_CMYK);
    jpeg_set_defaults(&e->cinfo);
    if (components == 4) jpeg_set_colorspace(&e->cinfo, JCS_YCCK);
    jpeg_set_quality(&e->cinfo, quality, TRUE);
    if (components >= 3 && !subsample_chroma) {
        for (int i = 0; i < e->cinfo.num_components; i++) {
            e->cinfo.comp_info[i].h_samp_factor = 1;
            e->cinfo.comp_info[i].v_samp_factor = 1;
        }
    }
    if (progressive) jpeg_simple_progression(&e->cinfo);
    jpeg_start_compress(&e->cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)components;
    while (e->cinfo.next_scanline < e->cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)e->cinfo.next_scanline * stride);
        jpeg_write_scanlines(&e->cinfo, &row, 1);
    }
    jpeg_finish_compress(&e->cinfo);
    return MF_JPEG_OK;
}

int mf_jpeg_encode(const unsigned char *pixels, unsigned int width, unsigned int height, int components,
                   int quality, int progressive, int subsample_chroma,
                   unsigned char **out, unsigned long *out_size, char *message, size_t message_size) {
    if (!out || !out_size) return MF_JPEG_BAD_CALL;
    *out = NULL;
    *out_size = 0;
    if (!pixels || width == 0 || height == 0 || width > 65500 || height > 65500 ||
        (components != 1 && components != 3 && components != 4) || quality < 1 || quality > 100) {
        if (message && message_size) snprintf(message, message_size, "invalid encoder arguments");
        return MF_JPEG_BAD_CALL;
    }
    mf_jpeg_encoder *e = calloc(1, sizeof *e);
    if (!e) return MF_JPEG_NOMEM;
    e->cinfo.err = &e->err.pub;
    mf_install_error_mgr(&e->err);
    if (setjmp(e->err.jump)) {
        if (message && message_size) snprintf(message, message_size, "%s", e->err.message);
        jpeg_destroy_compress(&e->cinfo);
        free(e->buffer);
        free(e);
        return MF_JPEG_ERROR;
    }
    mf_encode_body(e, pixels, width, height, components, quality, progressive, subsample_chroma);
    *out = e->buffer;
    *out_size = e->size;
    e->buffer = NULL;
    jpeg_destroy_compress(&e->cinfo);
    free(e);
    return MF_JPEG_OK;
}
