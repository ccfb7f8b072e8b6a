#pragma once
// The rule every string field of every request and event follows (issue #14): a maximum length
// and a character rule, checked in the core before anything is stored or published.
//   - kLine: names, labels, organisations: valid UTF-8, no control characters (C0, DEL, C1) and no
//     bidirectional overrides, which would rewrite what a terminal or a report shows;
//   - kFreeText: reasons and notes: as kLine, newlines allowed, and no NIK-like run of 16 digits
//     (a NIK in a reason would travel on the bus and into logs unmasked);
//   - kToken: ids, keys and codes: ASCII letters, digits and . _ : - only.
// Lengths count characters (code points), not bytes.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jaring/common/result.hpp"

namespace jaring::text {

enum class Kind { kLine, kFreeText, kToken };

struct Rule {
  Kind kind = Kind::kLine;
  std::size_t max_chars = 0;
  bool required = false;
};

// The usual rules, so that one kind of field has one limit across the services.
inline constexpr Rule kName{Kind::kLine, 100, true};          // a person's or an agent's name
inline constexpr Rule kOrganisation{Kind::kLine, 200, true};  // a sponsor, company or organisation
inline constexpr Rule kLabel{Kind::kLine, 100, false};        // a cohort name, a snapshot label
inline constexpr Rule kReason{Kind::kFreeText, 500, true};    // why a step was taken
inline constexpr Rule kNote{Kind::kFreeText, 2000, false};    // optional free text
inline constexpr Rule kId{Kind::kToken, 64, true};            // an id the system gave
// Idempotency keys are the client's own words ("agent-Rina Perisai"): a line, not a token.
inline constexpr Rule kIdempotencyKey{Kind::kLine, 128, false};
inline constexpr Rule kRequiredKey{Kind::kLine, 128, true};  // where a retry must be safe
inline constexpr Rule kReference{Kind::kToken, 64, false};   // a payment or bank reference

// What `value` breaks, in the words of a FieldViolation's rule, or std::nullopt when it is fine.
std::optional<std::string> violation(std::string_view value, const Rule& rule);

// Adds {field, rule} to `out` when `value` breaks `rule`; returns whether it was fine.
bool check(std::vector<FieldViolation>& out, std::string_view field, std::string_view value,
           const Rule& rule);

// Where a NIK-like run starts in `text`: 16 digits, alone or grouped by single spaces, dots or
// dashes (3175 0612 3456 7890, 31.75.06.120390.0001), not part of a longer run of digits.
// std::string_view::npos when there is none. `length` receives the run's length in bytes.
std::size_t find_nik_like(std::string_view text, std::size_t from = 0, std::size_t* length = nullptr);

}  // namespace jaring::text
