#include "fixed_port.hpp"

#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <cstring>

namespace jaring::devkafka {
namespace {

std::atomic<int> g_next_port{0};

}  // namespace

void arm_listener_ports(int first) { g_next_port.store(first); }

// The port the next loopback listener takes, or 0 when none is armed.
int take_listener_port() {
  int port = g_next_port.load();
  while (port > 0 && !g_next_port.compare_exchange_weak(port, port + 1)) {
  }
  return port;
}

}  // namespace jaring::devkafka

extern "C" int bind(int fd, const sockaddr* addr, socklen_t length) {
  using Bind = int (*)(int, const sockaddr*, socklen_t);
  static const auto real = reinterpret_cast<Bind>(dlsym(RTLD_NEXT, "bind"));
  if (addr == nullptr || addr->sa_family != AF_INET || length < sizeof(sockaddr_in))
    return real(fd, addr, length);
  sockaddr_in fixed;
  std::memcpy(&fixed, addr, sizeof fixed);
  if (fixed.sin_port != 0 || fixed.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) return real(fd, addr, length);
  const int port = jaring::devkafka::take_listener_port();
  if (port <= 0) return real(fd, addr, length);
  fixed.sin_port = htons(static_cast<std::uint16_t>(port));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  return real(fd, reinterpret_cast<const sockaddr*>(&fixed), sizeof fixed);
}
