#ifndef CCODECGLUE_H
#define CCODECGLUE_H
// Placeholder header; the libjpeg setjmp trampolines are declared here.
#endif
