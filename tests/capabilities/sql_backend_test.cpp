// The SQL backends: parameters are bound, never spliced into the text (injection attempts leave
// the table intact), prepared statements, error kinds. SQLite here; the same checks run
// against PostgreSQL in the integration tests.
#include "sql.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace cap = cirrus::capabilities;
using cap::SqlValue;

namespace {

std::unique_ptr<cap::SqlDatabase> sqlite() {
    auto db = cap::open_sqlite("");
    EXPECT_TRUE(db.ok());
    return std::move(*db);
}

TEST(SqliteBackend, QueryWithBoundParameters) {
    auto db = sqlite();
    ASSERT_TRUE(db->batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, "
                          "score REAL, avatar BLOB, active BOOLEAN)")
                    .ok());
    std::vector<SqlValue> p = {SqlValue::integer(1), SqlValue::text("ada"), SqlValue::real(2.5),
                               SqlValue::bytes(std::string("\0\1\2", 3)), SqlValue::boolean(true)};
    ASSERT_TRUE(db->query("INSERT INTO users VALUES ($1, $2, $3, $4, $5)", p).ok());
    auto rows =
        db->query("SELECT * FROM users WHERE name = $1", std::vector{SqlValue::text("ada")});
    ASSERT_TRUE(rows.ok()) << rows.error().message;
    ASSERT_EQ(rows->size(), 1u);
    const auto& r = (*rows)[0];
    ASSERT_EQ(r.size(), 5u);
    EXPECT_EQ(r[0].name, "id");
    EXPECT_EQ(r[0].value, SqlValue::integer(1));
    EXPECT_EQ(r[1].value, SqlValue::text("ada"));
    EXPECT_EQ(r[2].value, SqlValue::real(2.5));
    EXPECT_EQ(r[3].value, SqlValue::bytes(std::string("\0\1\2", 3)));
    EXPECT_EQ(r[4].value, SqlValue::boolean(true));
    // Parameters may repeat and come in any order.
    auto two = db->query("SELECT $2 AS b, $1 AS a, $2 AS c",
                         std::vector{SqlValue::integer(1), SqlValue::integer(2)});
    ASSERT_TRUE(two.ok()) << two.error().message;
    EXPECT_EQ((*two)[0][0].value, SqlValue::integer(2));
    EXPECT_EQ((*two)[0][1].value, SqlValue::integer(1));
    EXPECT_EQ((*two)[0][2].value, SqlValue::integer(2));
    auto nul = db->query("SELECT $1 AS n", std::vector{SqlValue::null()});
    EXPECT_EQ((*nul)[0][0].value, SqlValue::null());
}

TEST(SqliteBackend, InjectionThroughParametersIsData) {
    auto db = sqlite();
    ASSERT_TRUE(db->batch("CREATE TABLE t (name TEXT); INSERT INTO t VALUES ('keep')").ok());
    for (const char* attack :
         {"'; DROP TABLE t; --", "x' OR '1'='1", "\"); DELETE FROM t; --", "1; DROP TABLE t"}) {
        auto ins = db->query("INSERT INTO t VALUES ($1)", std::vector{SqlValue::text(attack)});
        ASSERT_TRUE(ins.ok()) << ins.error().message;
        auto sel =
            db->query("SELECT name FROM t WHERE name = $1", std::vector{SqlValue::text(attack)});
        ASSERT_TRUE(sel.ok());
        ASSERT_EQ(sel->size(), 1u) << attack; // found itself, matched nothing else
        EXPECT_EQ((*sel)[0][0].value, SqlValue::text(attack));
    }
    auto all = db->query("SELECT count(*) AS n FROM t", {});
    ASSERT_TRUE(all.ok()) << "the table is gone";
    EXPECT_EQ((*all)[0][0].value, SqlValue::integer(5));
}

TEST(SqliteBackend, ErrorsSayWhatKind) {
    auto db = sqlite();
    ASSERT_TRUE(db->batch("CREATE TABLE t (a INTEGER)").ok());
    auto syntax = db->query("SELEC nonsense", {});
    ASSERT_FALSE(syntax.ok());
    EXPECT_EQ(cap::sql_error_kind(syntax.error()), cap::SqlErrorKind::InvalidQuery);
    auto missing = db->query("SELECT * FROM nowhere", {});
    EXPECT_EQ(cap::sql_error_kind(missing.error()), cap::SqlErrorKind::InvalidQuery);
    auto few = db->query("SELECT $1, $2", std::vector{SqlValue::integer(1)});
    ASSERT_FALSE(few.ok());
    EXPECT_EQ(cap::sql_error_kind(few.error()), cap::SqlErrorKind::InvalidParams);
    EXPECT_NE(few.error().message.find("$2"), std::string::npos) << few.error().message;
    auto many = db->query("SELECT $1", std::vector{SqlValue::integer(1), SqlValue::integer(2)});
    EXPECT_EQ(cap::sql_error_kind(many.error()), cap::SqlErrorKind::InvalidParams);
    auto two = db->query("SELECT 1; DROP TABLE t", {});
    ASSERT_FALSE(two.ok());
    EXPECT_EQ(cap::sql_error_kind(two.error()), cap::SqlErrorKind::InvalidQuery);
    EXPECT_TRUE(db->query("SELECT * FROM t", {}).ok()) << "a second statement ran";
    auto named = db->query("SELECT :name", std::vector{SqlValue::integer(1)});
    EXPECT_EQ(cap::sql_error_kind(named.error()), cap::SqlErrorKind::InvalidParams);
}

TEST(SqliteBackend, PreparedStatements) {
    auto db = sqlite();
    ASSERT_TRUE(db->batch("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER)").ok());
    auto ins = db->prepare("INSERT INTO kv VALUES ($1, $2)");
    ASSERT_TRUE(ins.ok());
    for (int i = 0; i < 10; ++i) {
        auto n = db->exec(*ins,
                          std::vector{SqlValue::text(fmt::format("k{}", i)), SqlValue::integer(i)});
        ASSERT_TRUE(n.ok()) << n.error().message;
        EXPECT_EQ(*n, 1u);
    }
    auto upd = db->prepare("UPDATE kv SET v = v + 100 WHERE v >= $1");
    EXPECT_EQ(*db->exec(*upd, std::vector{SqlValue::integer(5)}), 5u);
    auto dup = db->exec(*ins, std::vector{SqlValue::text("k1"), SqlValue::integer(1)});
    ASSERT_FALSE(dup.ok()); // primary key
    EXPECT_EQ(cap::sql_error_kind(dup.error()), cap::SqlErrorKind::Unexpected);
    EXPECT_FALSE(db->prepare("NOT SQL").ok());
    EXPECT_FALSE(db->exec(999, {}).ok());
}

TEST(SqliteBackend, OversizedValueIsRefused) {
    auto db = sqlite();
    ASSERT_TRUE(db->batch("CREATE TABLE t (b BLOB)").ok());
    auto big = db->query("INSERT INTO t VALUES ($1)",
                         std::vector{SqlValue::bytes(std::string((64 << 20) + 1, 'x'))});
    ASSERT_FALSE(big.ok());
    EXPECT_NE(big.error().message.find("too big"), std::string::npos) << big.error().message;
}

} // namespace
