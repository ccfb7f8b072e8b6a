#include "jaring/csv/writer.hpp"

namespace jaring::csv {

std::string text_cell(std::string_view text) {
  std::string cell;
  if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos) cell = "'";
  cell += text;
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string quoted = "\"";
  for (const char c : cell) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

Row::Row(std::initializer_list<std::string_view> texts) {
  for (const auto text : texts) add(text);
}

Row& Row::add(std::string_view text) { return add_raw(text_cell(text)); }

Row& Row::add_raw(const std::string& cell) {
  if (!empty_) text_ += ',';
  text_ += cell;
  empty_ = false;
  return *this;
}

}  // namespace jaring::csv
