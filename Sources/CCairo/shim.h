// CCairo shim: Cairo, the 2D drawing library (lines, text through fontconfig and FreeType).
#include <cairo.h>
