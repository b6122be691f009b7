// The system zlib (Debian package zlib1g-dev): raw deflate streams, which is what qcow2's
// compressed clusters hold (qcow2 spec, "Compressed Clusters").
#include <zlib.h>
