#include "jaring/csv/reader.hpp"

namespace jaring::csv {

int Reader::get() {
  if (!pending_.empty()) {
    const int c = static_cast<unsigned char>(pending_.front());
    pending_.erase(0, 1);
    return c;
  }
  const int c = in_.get();
  if (c != std::char_traits<char>::eof()) ++bytes_;
  return c;
}

int Reader::peek() { return pending_.empty() ? in_.peek() : static_cast<unsigned char>(pending_.front()); }

void Reader::skip_rest_of_line() {
  for (int c = get(); c != std::char_traits<char>::eof(); c = get()) {
    if (c == '\n') {
      ++line_;
      return;
    }
  }
}

bool Reader::next(Record& record) {
  constexpr int kEof = std::char_traits<char>::eof();
  if (!started_) {
    started_ = true;
    // A UTF-8 byte order mark, as spreadsheet programs write it; anything else is data.
    for (const int expected : {0xEF, 0xBB, 0xBF}) {
      if (in_.peek() != expected) break;
      pending_.push_back(static_cast<char>(in_.get()));
      ++bytes_;
    }
    if (pending_ == "\xEF\xBB\xBF") pending_.clear();
  }
  // Skip blank lines.
  for (;;) {
    const int c = peek();
    if (c == kEof) return false;
    if (c == '\r') {
      get();
      continue;
    }
    if (c != '\n') break;
    get();
    ++line_;
  }

  record.fields.assign(1, std::string());
  record.line = line_;
  record.error.clear();
  bool quoted = false;         // inside a quoted field
  bool after_quote = false;    // a quoted field ended; only a separator or line end may follow
  bool field_started = false;  // something was read into the current field
  for (;;) {
    const int c = get();
    if (c == kEof) {
      if (quoted) record.error = "a quoted field is not closed before the end of the file";
      return true;
    }
    auto& field = record.fields.back();
    if (quoted) {
      if (c == '"') {
        if (peek() == '"') {
          get();
          field.push_back('"');
        } else {
          quoted = false;
          after_quote = true;
        }
      } else {
        if (c == '\n') ++line_;
        field.push_back(static_cast<char>(c));
      }
      continue;
    }
    if (c == separator_) {
      record.fields.emplace_back();
      after_quote = false;
      field_started = false;
    } else if (c == '\n') {
      ++line_;
      return true;
    } else if (c == '\r') {
      if (peek() == '\n') continue;  // CRLF: the LF ends the record
      ++line_;                       // a lone CR ends it too
      return true;
    } else if (after_quote) {
      record.error = "text after a closing quote (a quote inside a field must be doubled)";
      skip_rest_of_line();
      return true;
    } else if (c == '"') {
      if (field_started) {
        record.error = "a quote inside an unquoted field (quote the whole field and double the quote)";
        skip_rest_of_line();
        return true;
      }
      quoted = true;
      field_started = true;
    } else {
      field.push_back(static_cast<char>(c));
      field_started = true;
    }
  }
}

}  // namespace jaring::csv
