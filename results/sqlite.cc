#include "results/sqlite.h"

#include <sqlite3.h>

#include <cmath>
#include <cstdlib>

#include "metabench/errors.h"

namespace metabench {

namespace {

constexpr int kDefaultBusyTimeoutMs = 60000;

// How long a write waits for another process's lock: 60 s, or
// $METABENCH_BUSY_TIMEOUT_MS (documented in docs/results-schema.md).
int busy_timeout_ms() {
  if (const char* text = std::getenv("METABENCH_BUSY_TIMEOUT_MS")) {
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (end != text && *end == '\0' && value >= 0 && value <= 3600000) {
      return static_cast<int>(value);
    }
  }
  return kDefaultBusyTimeoutMs;
}

// A lock held beyond the timeout, or a full disk, is the environment's
// failure, not bad input.
bool environment_failure(int code) {
  const int primary = code & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_FULL ||
         primary == SQLITE_IOERR;
}

}  // namespace

Database::Database(const std::string& path, Mode mode) : path_(path) {
  const int flags =
      mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("cannot open results database '" + path + "': " + message);
  }
  sqlite3_busy_timeout(db_, busy_timeout_ms());
  sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() { sqlite3_close(db_); }

void Database::fail(const std::string& what) const {
  const int code = sqlite3_extended_errcode(db_);
  const std::string message =
      "results database '" + path_ + "': " + what + ": " + sqlite3_errmsg(db_);
  if (environment_failure(code)) {
    throw EnvironmentError(message + ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED
                                          ? " (another process held it for longer than the " +
                                                std::to_string(busy_timeout_ms() / 1000) +
                                                " s busy timeout; nothing was lost, run again)"
                                          : ""));
  }
  throw StoreError(message);
}

void Database::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    sqlite3_free(error);
    fail("cannot execute");
  }
}

Statement Database::prepare(const std::string& sql) { return Statement(*this, sql); }

int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

int64_t Database::changes() const { return sqlite3_changes(db_); }

Statement::Statement(Database& db, const std::string& sql) : db_(&db) {
  if (sqlite3_prepare_v2(db.db_, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
    db.fail("cannot prepare statement");
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

Statement& Statement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) db_->fail("bind");
  return *this;
}
Statement& Statement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) db_->fail("bind");
  return *this;
}
Statement& Statement::bind(int index, const std::string& value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    db_->fail("bind");
  }
  return *this;
}
Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) db_->fail("bind");
  return *this;
}
Statement& Statement::bind_real_or_null(int index, double value) {
  return std::isnan(value) ? bind_null(index) : bind(index, value);
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail("query failed");
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}
int Statement::column(const std::string& name) const {
  const int n = sqlite3_column_count(stmt_);
  for (int i = 0; i < n; ++i) {
    const char* c = sqlite3_column_name(stmt_, i);
    if (c && name == c) return i;
  }
  throw InternalError("a query has no result column '" + name + "': " + sqlite3_sql(stmt_));
}

int64_t Statement::column_int(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::column_double(int column) const {
  return is_null(column) ? std::nan("") : sqlite3_column_double(stmt_, column);
}
std::string Statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  return text ? reinterpret_cast<const char*>(text) : "";
}

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
      // Nothing more can be done in a destructor; SQLite rolls back on close.
    }
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace metabench
