#pragma once
// Writing CSV that a spreadsheet opens without running anything. Every CSV Jaring writes (import
// error files, M&E reports, sponsor impact reports) is built here. A text cell that begins with
// =, +, -, @, tab or carriage return would be read as a formula or command by Excel and
// LibreOffice (OWASP "CSV injection"), so it gets a leading single quote, which they show as
// text; cells written from numbers stay numbers. Cells holding a comma, a double quote or a line
// break are quoted as RFC 4180 says, so that csv::Reader reads back what was written.

#include <concepts>
#include <initializer_list>
#include <string>
#include <string_view>

namespace jaring::csv {

// One text cell as it goes into a file: neutralised, then quoted when it must be.
std::string text_cell(std::string_view text);

// One line of a CSV file, built cell by cell in order.
class Row {
 public:
  Row() = default;
  // A row of text cells (a header).
  Row(std::initializer_list<std::string_view> texts);

  Row& add(std::string_view text);
  Row& add(const std::string& text) { return add(std::string_view(text)); }
  Row& add(const char* text) { return add(std::string_view(text)); }
  // A number stays a number, sign included.
  template <std::integral T>
  Row& add(T number) {
    return add_raw(std::to_string(number));
  }

  // The row's text with its line ending ("\n", as every Jaring CSV has had).
  std::string line() const { return text_ + "\n"; }

 private:
  Row& add_raw(const std::string& cell);

  std::string text_;
  bool empty_ = true;
};

}  // namespace jaring::csv
