// libFuzzer's coverage for code GCC instrumented with -fsanitize-coverage=trace-pc: each block
// calls __sanitizer_cov_trace_pc, which bumps the 8-bit counter of the edge from the previous
// block (AFL's scheme: the hash of both blocks' addresses), and libFuzzer reads the counters as
// it reads clang's. Collisions in 64 Ki counters only make two edges look alike. Built without
// instrumentation: the hook must not call itself.
#include <cstddef>
#include <cstdint>

namespace {

constexpr std::size_t kCounters = std::size_t{1} << 16;
alignas(64) std::uint8_t counters[kCounters];
thread_local std::uintptr_t previous = 0;

}  // namespace

// The sanitizer runtimes call these by their reserved names.
// NOLINTBEGIN(bugprone-reserved-identifier,readability-identifier-naming)
extern "C" void __sanitizer_cov_8bit_counters_init(std::uint8_t* start, std::uint8_t* stop);

// Before main, like clang's module constructors, so that libFuzzer knows the counters when it starts.
__attribute__((constructor)) static void register_counters() {
  __sanitizer_cov_8bit_counters_init(counters, counters + kCounters);
}

// NOLINTNEXTLINE(clang-diagnostic-unknown-attributes): no_sanitize_undefined is GCC's
extern "C" __attribute__((no_sanitize_address, no_sanitize_undefined)) void __sanitizer_cov_trace_pc() {
  const auto pc = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
  const auto here = (pc ^ (pc >> 16)) & (kCounters - 1);
  ++counters[here ^ previous];
  previous = here >> 1;
}

// GCC's UBSan runtime is not ASan's: its reports would end the process without libFuzzer
// noticing. Aborting instead lets libFuzzer's SIGABRT handler save the input.
extern "C" const char* __ubsan_default_options() {
  return "abort_on_error=1:halt_on_error=1:print_stacktrace=1";
}

// GCC also traces floating-point comparisons, which libFuzzer has no use for.
extern "C" void __sanitizer_cov_trace_cmpf(float, float) {}
extern "C" void __sanitizer_cov_trace_cmpd(double, double) {}
// NOLINTEND(bugprone-reserved-identifier,readability-identifier-naming)
