#pragma once
// Callers for the csr-donor tests that are not about scope: staff who see everything
// (scope_test.cpp is about who sees what).

#include <string>

#include "core/csr.hpp"

namespace jaring::csr::testing {

inline const auth::Scope kEveryone = auth::Scope::everything();

inline Actor staff(std::string subject) { return {std::move(subject), kEveryone}; }

}  // namespace jaring::csr::testing
