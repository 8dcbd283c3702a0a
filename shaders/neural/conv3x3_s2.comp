// The 3x3 convolution with stride 2 (the TAESD encoder's downsampling convs): conv3x3.comp
// compiled for it (see there).
#define STRIDE 2
#include "neural/conv3x3.comp"
