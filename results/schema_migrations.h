// Migrations kept in their own files (results/schema.cc lists them all).
// Internal to results/schema.cc; a migration is frozen once released.
#pragma once

namespace metabench {

class Database;

// 5 -> 6: run UUIDs, the claims on sweep cells (results/claims.h), and the
// statuses 'diverged' and 'superseded'.  SQLite cannot change a CHECK
// constraint in place, so `runs` is rebuilt (SQLite's documented 12-step
// procedure; migrate() runs it with foreign keys off, so dropping the old
// table cascades nothing, and checks foreign keys before it commits).
extern const char* const kMigration6Sql;
// Gives every run recorded before version 6 a UUID of its own.
void fill_run_uuids(Database& db);

}  // namespace metabench
