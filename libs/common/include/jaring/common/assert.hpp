#pragma once
// Envoy's assertion vocabulary, in release builds too: JARING_ASSERT states an invariant that only
// a bug can break, and crashes loudly (file, line, the condition and why) rather than carry on
// with wrong money or a wrong count. Likely failures (bad input, a broker down) are handled, never
// asserted.

#include <cstdio>
#include <cstdlib>

#define JARING_ASSERT(condition, why)                                                                  \
  do {                                                                                                 \
    if (!(condition)) [[unlikely]] {                                                                   \
      std::fprintf(stderr, "%s:%d: invariant broken: %s (%s)\n", __FILE__, __LINE__, #condition, why); \
      std::abort();                                                                                    \
    }                                                                                                  \
  } while (false)
