// libslirp (Debian package libslirp-dev): the user-mode TCP/IP stack QEMU's `-netdev user` runs,
// NAT to the host's sockets, DHCP, DNS forwarding and host forwarding (hostfwd). Included by its
// full path: pkg-config's `slirp` names /usr/include/slirp, but only when glib's development
// files (which libslirp.h does not use) are installed too.
#include <slirp/libslirp.h>
