#include <gtest/gtest.h>

#include <sstream>

#include "jaring/csv/reader.hpp"

namespace jaring::csv {
namespace {

std::vector<Record> read_all(const std::string& text) {
  std::istringstream in(text);
  Reader reader(in);
  std::vector<Record> out;
  Record r;
  while (reader.next(r)) out.push_back(r);
  return out;
}

using Fields = std::vector<std::string>;

TEST(CsvReader, ReadsPlainAndQuotedFieldsWithTheirLines) {
  const auto records =
      read_all("nik,name\r\n3172011505900001,\"Santoso, Budi\"\r\n\r\n3172,\"Ani \"\"Nana\"\"\"\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].fields, (Fields{"nik", "name"}));
  EXPECT_EQ(records[1].fields, (Fields{"3172011505900001", "Santoso, Budi"}));
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_EQ(records[2].fields, (Fields{"3172", "Ani \"Nana\""}));
  EXPECT_EQ(records[2].line, 4u);  // after a blank line
}

TEST(CsvReader, ALineBreakInsideQuotesKeepsCountingLines) {
  const auto records = read_all("a,\"two\nlines\"\nnext,row\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (Fields{"a", "two\nlines"}));
  EXPECT_EQ(records[1].line, 3u);
}

TEST(CsvReader, EmptyFieldsAndAMissingFinalNewline) {
  const auto records = read_all("a,,\"\",d");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields, (Fields{"a", "", "", "d"}));
}

TEST(CsvReader, SkipsAByteOrderMark) {
  const auto records = read_all("\xEF\xBB\xBFnik,name\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields[0], "nik");
}

TEST(CsvReader, BytesThatOnlyLookLikeAByteOrderMarkAreData) {
  const auto records = read_all("\xEF\xBBx,y\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields, (Fields{"\xEF\xBBx", "y"}));
}

TEST(CsvReader, MalformedRecordsAreReportedAndReadingGoesOn) {
  const auto records = read_all("ok,1\nbad\"quote,2\n\"closed\"tail,3\nfine,4\n\"never closed,5\n");
  ASSERT_EQ(records.size(), 5u);
  EXPECT_TRUE(records[0].error.empty());
  EXPECT_NE(records[1].error.find("quote inside an unquoted field"), std::string::npos);
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_NE(records[2].error.find("after a closing quote"), std::string::npos);
  EXPECT_EQ(records[3].fields, (Fields{"fine", "4"}));
  EXPECT_EQ(records[3].line, 4u);
  EXPECT_NE(records[4].error.find("not closed"), std::string::npos);
}

TEST(CsvReader, CountsBytesForProgress) {
  std::istringstream in("a,b\nc,d\n");
  Reader reader(in);
  Record r;
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(reader.bytes_read(), 4u);
}

}  // namespace
}  // namespace jaring::csv
