// codecs.h: C shim over libpng and libjpeg that turns their longjmp errors into return codes.
#ifndef NST_CODECS_H
#define NST_CODECS_H
int nst_codecs_placeholder(void);
#endif
