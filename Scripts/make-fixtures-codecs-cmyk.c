/* Writes an Adobe CMYK (or YCCK) JPEG from raw 8-bit CMYK samples (as stored: Adobe-inverted).
 * Compiled and run by make-fixtures-codecs.sh; never committed as a binary.
 * usage: cmyk-jpeg WIDTH HEIGHT IN.raw OUT.jpg cmyk|ycck */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: %s W H in.raw out.jpg cmyk|ycck\n", argv[0]); return 2; }
    int w = atoi(argv[1]), h = atoi(argv[2]);
    size_t n = (size_t)w * h * 4;
    unsigned char *px = malloc(n);
    FILE *in = fopen(argv[3], "rb");
    if (!px || !in || fread(px, 1, n, in) != n) { fprintf(stderr, "cannot read %s\n", argv[3]); return 1; }
    fclose(in);
    FILE *out = fopen(argv[4], "wb");
    if (!out) { fprintf(stderr, "cannot write %s\n", argv[4]); return 1; }
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, out);
    c.image_width = w;
    c.image_height = h;
    c.input_components = 4;
    c.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, strcmp(argv[5], "ycck") == 0 ? JCS_YCCK : JCS_CMYK);  /* writes the Adobe marker */
    jpeg_set_quality(&c, 95, TRUE);
    for (int i = 0; i < c.num_components; i++) { c.comp_info[i].h_samp_factor = 1; c.comp_info[i].v_samp_factor = 1; }
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = px + (size_t)c.next_scanline * w * 4;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(out);
    free(px);
    return 0;
}
