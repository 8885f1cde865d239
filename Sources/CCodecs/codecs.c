// codecs.c: placeholder until the image codecs land.
#include "codecs.h"
int nst_codecs_placeholder(void) { return 0; }
