#include "jaring/common/text.hpp"

#include <utility>

#include <fmt/format.h>

namespace jaring::text {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_group_separator(char c) { return c == ' ' || c == '.' || c == '-'; }

// The next code point of `text` at `at` (advancing it), or std::nullopt for bytes that are not
// UTF-8: truncated or overlong sequences, surrogates, values past U+10FFFF.
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80) {
    ++at;
    return lead;
  }
  std::size_t extra = 0;
  char32_t cp = 0;
  char32_t least = 0;
  if ((lead & 0xE0) == 0xC0) {
    extra = 1, cp = lead & 0x1F, least = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2, cp = lead & 0x0F, least = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3, cp = lead & 0x07, least = 0x10000;
  } else {
    return std::nullopt;
  }
  if (at + extra >= text.size()) return std::nullopt;  // truncated
  for (std::size_t i = 1; i <= extra; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(at + i) & 0x3F);
  }
  if (cp < least || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  at += extra + 1;
  return cp;
}

bool is_control(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

// Embeddings, overrides and isolates reorder what a terminal or a spreadsheet shows.
bool is_bidi_control(char32_t cp) { return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069); }

bool is_token_char(char32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') || cp == '.' ||
         cp == '_' || cp == ':' || cp == '-';
}

bool blank(std::string_view value) { return value.find_first_not_of(" \t\r\n") == std::string_view::npos; }

}  // namespace

std::optional<std::string> violation(std::string_view value, const Rule& rule) {
  if (blank(value)) {
    if (rule.required) return "is required";
    if (value.empty()) return std::nullopt;
  }
  std::size_t chars = 0;
  for (std::size_t at = 0; at < value.size(); ++chars) {
    // A value far past the limit is refused before it is decoded to the end.
    if (chars == rule.max_chars) return fmt::format("must be at most {} characters", rule.max_chars);
    const auto cp = next_code_point(value, at);
    if (!cp) return "must be valid UTF-8 text";
    switch (rule.kind) {
      case Kind::kToken:
        if (!is_token_char(*cp)) return "may contain only letters, digits and . _ : -";
        break;
      case Kind::kFreeText:
        if (*cp == '\n') break;
        [[fallthrough]];
      case Kind::kLine:
        if (is_control(*cp) || is_bidi_control(*cp)) {
          return rule.kind == Kind::kFreeText ? "must not contain control characters other than newline"
                                              : "must not contain control characters";
        }
        break;
    }
  }
  if (rule.kind == Kind::kFreeText && find_nik_like(value) != std::string_view::npos) {
    return "must not contain a NIK (16 digits): name the participant by id instead";
  }
  return std::nullopt;
}

bool check(std::vector<FieldViolation>& out, std::string_view field, std::string_view value,
           const Rule& rule) {
  auto broken = violation(value, rule);
  if (!broken) return true;
  out.push_back({std::string(field), std::move(*broken)});
  return false;
}

std::size_t find_nik_like(std::string_view text, std::size_t from, std::size_t* length) {
  constexpr std::size_t kNikDigits = 16;
  struct Group {
    std::size_t begin, end;
  };
  std::vector<Group> groups;
  std::size_t i = from;
  while (i < text.size()) {
    if (!is_digit(text[i])) {
      ++i;
      continue;
    }
    // The groups of one run: digits joined by single separators (3175 0612 3456 7890).
    groups.clear();
    std::size_t begin = i;
    while (true) {
      std::size_t end = begin;
      while (end < text.size() && is_digit(text[end])) ++end;
      groups.push_back({begin, end});
      if (end + 1 < text.size() && is_group_separator(text[end]) && is_digit(text[end + 1])) {
        begin = end + 1;
        continue;
      }
      i = end;
      break;
    }
    // Consecutive groups holding exactly 16 digits: an amount before a NIK does not hide it.
    for (std::size_t a = 0; a < groups.size(); ++a) {
      std::size_t digits = 0;
      for (std::size_t b = a; b < groups.size() && digits < kNikDigits; ++b) {
        digits += groups[b].end - groups[b].begin;
        if (digits == kNikDigits) {
          if (length != nullptr) *length = groups[b].end - groups[a].begin;
          return groups[a].begin;
        }
      }
    }
  }
  return std::string_view::npos;
}

}  // namespace jaring::text
