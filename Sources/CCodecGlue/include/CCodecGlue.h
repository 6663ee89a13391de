#ifndef CCODECGLUE_H
#define CCODECGLUE_H
// libjpeg needs an error manager that never returns to its caller (the default one calls exit()).
// Swift cannot setjmp/longjmp, so every libjpeg step that may fail runs here, behind a setjmp, and
// reports a status code plus libjpeg's message text. The decoder/encoder structs are opaque to Swift;
// FaceImaging's JPEG.swift owns them (create → … → destroy on every path).

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Status codes returned by every mf_jpeg_* step.
enum {
    MF_JPEG_OK = 0,
    /// libjpeg raised an error (corrupt or unsupported data); see mf_jpeg_message.
    MF_JPEG_ERROR = 1,
    /// The data ended early (libjpeg's "Premature end of JPEG file" warning, promoted to an error).
    MF_JPEG_TRUNCATED = 2,
    /// Out of memory creating the decoder.
    MF_JPEG_NOMEM = 3,
    /// Too many progressive scans (a decode-time bomb), see mf_jpeg_set_max_scans.
    MF_JPEG_TOO_MANY_SCANS = 4,
    /// The caller asked for something invalid (bad state, bad buffer size).
    MF_JPEG_BAD_CALL = 5,
};

/// Colour spaces as reported by mf_jpeg_info (mirrors J_COLOR_SPACE for the ones we use).
enum {
    MF_JCS_UNKNOWN = 0,
    MF_JCS_GRAYSCALE = 1,
    MF_JCS_RGB = 2,
    MF_JCS_YCbCr = 3,
    MF_JCS_CMYK = 4,
    MF_JCS_YCCK = 5,
};

typedef struct mf_jpeg_decoder mf_jpeg_decoder;

typedef struct mf_jpeg_info {
    unsigned int width;          // image width in pixels (from SOF)
    unsigned int height;         // image height in pixels
    int components;              // components in the file (1, 3 or 4)
    int color_space;             // MF_JCS_* of the file
    int progressive;             // 1 for a progressive (multi-scan) file
    int saw_adobe_marker;        // 1 when an Adobe APP14 marker is present (CMYK stored inverted)
    const unsigned char *exif;   // the first APP1 "Exif\0\0" payload (starting at "Exif"), or NULL
    unsigned int exif_length;    // its length in bytes
} mf_jpeg_info;

/// Creates a decoder with a safe (setjmp/longjmp) error manager. NULL when out of memory.
mf_jpeg_decoder *mf_jpeg_decoder_create(void);
/// Frees the decoder and everything libjpeg allocated for it. NULL is allowed.
void mf_jpeg_decoder_destroy(mf_jpeg_decoder *decoder);
/// Limits progressive scans (0 = no limit). Call before mf_jpeg_read_header.
void mf_jpeg_set_max_scans(mf_jpeg_decoder *decoder, int max_scans);
/// Points the decoder at `size` bytes (which must stay alive until destroy) and reads the header,
/// keeping APP1 markers so the EXIF block can be found. Fills `info`.
int mf_jpeg_read_header(mf_jpeg_decoder *decoder, const unsigned char *data, unsigned long size, mf_jpeg_info *info);
/// Chooses the output (1 = grey, 3 = RGB from grey/YCbCr/RGB, 4 = CMYK raw from CMYK/YCCK) and the DCT
/// scale 1/`scale_denom` (1, 2, 4 or 8), then computes the output size without decoding.
int mf_jpeg_prepare(mf_jpeg_decoder *decoder, int out_components, int scale_denom,
                    unsigned int *out_width, unsigned int *out_height);
/// Decodes the whole image into `dst`, rows `stride` bytes apart (`stride` ≥ out_width · out_components,
/// `dst_size` ≥ stride · out_height), then finishes the decompression.
int mf_jpeg_decode(mf_jpeg_decoder *decoder, unsigned char *dst, size_t dst_size, size_t stride);
/// The message of the last failure (libjpeg's text), never NULL.
const char *mf_jpeg_message(const mf_jpeg_decoder *decoder);

/// Encodes 8-bit interleaved pixels (`components` 1 = grey, 3 = RGB, 4 = CMYK stored Adobe-inverted)
/// at `quality` 1…100 (`progressive` 0/1, `subsample_chroma` 0 = 4:4:4, 1 = 4:2:0) into a buffer that
/// the caller frees with mf_free. On failure *out is NULL and `message` (capacity `message_size`) holds the reason.
int mf_jpeg_encode(const unsigned char *pixels, unsigned int width, unsigned int height, int components,
                   int quality, int progressive, int subsample_chroma,
                   unsigned char **out, unsigned long *out_size, char *message, size_t message_size);
/// Frees memory returned by this library.
void mf_free(void *pointer);

#ifdef __cplusplus
}
#endif
#endif
