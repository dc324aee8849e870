// "Before" for the Firefox TCP figures in bench/RESULTS.md: an LD_PRELOAD shim that makes
// setsockopt(TCP_QUICKACK) a no-op, so the janus binary behaves as it did before the transport
// re-armed quick ACKs (TCP_NODELAY stays on, as it was).
//   cc -shared -fPIC -O2 -o /tmp/no_quickack.so bench/compare/no_quickack.c -ldl
//   LD_PRELOAD=/tmp/no_quickack.so build-rel/client/cli/janus bench --target firefox --connect rdp://127.0.0.1:PORT
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

int setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  static int (*real)(int, int, int, const void*, socklen_t);
  if (!real) real = (int (*)(int, int, int, const void*, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
  if (level == IPPROTO_TCP && name == TCP_QUICKACK) return 0;
  return real(fd, level, name, value, len);
}
