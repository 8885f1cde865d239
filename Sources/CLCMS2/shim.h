// CLCMS2 shim: Little CMS 2, which converts images with an embedded ICC profile to sRGB.
#include <lcms2.h>
