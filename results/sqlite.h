// A thin RAII layer over the SQLite C API.  SQL goes through prepared
// statements with bound parameters only; no values are ever spliced into SQL
// text.  Errors throw StoreError naming the database path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace metabench {

class Statement;

class Database {
 public:
  enum class Mode { kReadOnly, kReadWrite };
  // Opens (kReadWrite: creating if needed) the database at `path`.
  Database(const std::string& path, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const std::string& sql);
  Statement prepare(const std::string& sql);
  const std::string& path() const { return path_; }
  int64_t last_insert_id() const;
  // Rows changed by the last INSERT, UPDATE or DELETE on this connection.
  int64_t changes() const;
  [[noreturn]] void fail(const std::string& what) const;

 private:
  friend class Statement;
  sqlite3* db_ = nullptr;
  std::string path_;
};

class Statement {
 public:
  Statement(Database& db, const std::string& sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, const std::string& value);
  Statement& bind(int index, const char* value) { return bind(index, std::string(value)); }
  Statement& bind_null(int index);
  // Binds NULL for NaN, so unknown values stay NULL in SQL.
  Statement& bind_real_or_null(int index, double value);

  // Advances to the next row; false when done.
  bool step();
  // Runs a statement that returns no rows, then resets it for reuse.
  void run();
  void reset();

  // The index of the result column named `name` (as the SELECT names it,
  // e.g. "s.run_id AS run_id" or "run_id"); InternalError when there is
  // none.  Lets readers address columns by name.
  int column(const std::string& name) const;

  bool is_null(int column) const;
  int64_t column_int(int column) const;
  double column_double(int column) const;  // NaN for NULL
  std::string column_text(int column) const;
  int64_t column_int(const std::string& name) const { return column_int(column(name)); }
  double column_double(const std::string& name) const { return column_double(column(name)); }
  std::string column_text(const std::string& name) const { return column_text(column(name)); }

 private:
  Database* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Begins an IMMEDIATE transaction (taking the write lock at once, so busy
// waits happen up front) and rolls it back unless commit() is called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace metabench
