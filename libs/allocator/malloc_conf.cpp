// The allocator's settings, in effect before main (the first allocation reads them).
#if JARING_JEMALLOC
#include <jemalloc/jemalloc.h>

// jemalloc: a thread cache in front of arenas. With glibc's malloc, malloc and free took about a
// third of registration's CPU in a bulk import, what they call included (arena locks,
// consolidating free chunks, growing and trimming the heap); with jemalloc registration spends
// 10-25% less. Two arenas, one per core of the machines we size for, hold the peak of many
// concurrent streams down, as M_ARENA_MAX 2 did with glibc (jaring-bench: registration's peak
// 139-153 MiB with two, 160-188 with jemalloc's eight). Freed pages go back after jemalloc's ten
// seconds: after one (dirty_decay_ms:1000) the peak was lower still but registration spent a
// tenth more CPU. MALLOC_CONF in the environment overrides any of them.
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): jemalloc's interface
const char* malloc_conf = "narenas:2";
#else
#include <malloc.h>

#include <cstdlib>

namespace {
// glibc gives threads that contend an arena each (up to 8 per core) and keeps every arena's
// peak: ten concurrent imports held 460 MiB in registration that way, 180 MiB with two arenas
// (one per core of the machines we size for). MALLOC_ARENA_MAX still overrides.
[[maybe_unused]] const bool kArenasLimited = [] {
  return std::getenv("MALLOC_ARENA_MAX") == nullptr && ::mallopt(M_ARENA_MAX, 2) == 1;
}();
}  // namespace
#endif
