// The one UTF-8 decoder: scalar values in shortest form only.
#include "cirrus/support/utf8.h"

#include <gtest/gtest.h>

namespace cirrus {
namespace {

TEST(Utf8, DecodesEveryEncodedLength) {
    std::vector<uint32_t> cps;
    ASSERT_TRUE(decode_utf8("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", &cps));
    EXPECT_EQ(cps, (std::vector<uint32_t>{'a', 0xE9, 0x20AC, 0x1F600}));
    EXPECT_TRUE(valid_utf8(""));
}

TEST(Utf8, EncodesWhatItDecodes) {
    std::string out;
    for (uint32_t cp : {0x24u, 0xA2u, 0x20ACu, 0x10348u, 0x10FFFFu}) append_utf8(out, cp);
    EXPECT_EQ(out, "\x24\xC2\xA2\xE2\x82\xAC\xF0\x90\x8D\x88\xF4\x8F\xBF\xBF");
    std::vector<uint32_t> cps;
    ASSERT_TRUE(decode_utf8(out, &cps));
    EXPECT_EQ(cps, (std::vector<uint32_t>{0x24, 0xA2, 0x20AC, 0x10348, 0x10FFFF}));
}

TEST(Utf8, RejectsWhatIsNotUtf8) {
    EXPECT_FALSE(valid_utf8("\xC0\xAF"));         // overlong '/'
    EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));     // overlong, three bytes
    EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));     // surrogate U+D800
    EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80")); // U+110000
    EXPECT_FALSE(valid_utf8("\xE2\x82"));         // truncated
    EXPECT_FALSE(valid_utf8("\x80"));             // lone continuation byte
    EXPECT_FALSE(valid_utf8("\xFF"));
}

} // namespace
} // namespace cirrus
