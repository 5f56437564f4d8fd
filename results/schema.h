// The results database schema and its migrations.
//
// PRAGMA user_version holds the schema version; PRAGMA application_id marks
// the file as a metabench database.  Migration i upgrades version i to i+1
// and runs in one transaction with the version bump, so a database is always
// at a well-defined version.  A database written by a newer metabench (a
// version above kSchemaVersion) is refused, untouched.  The documented public
// interface is the run_summary view (see docs/results-schema.md).
#pragma once

namespace metabench {

class Database;

constexpr int kSchemaVersion = 7;
constexpr int kApplicationId = 0x4D424E43;  // "MBNC"

// Checks that `db` is empty or a metabench database no newer than this
// build, without writing anything; throws StoreError otherwise.  Returns the
// current version (0 for an empty database).
int check_schema(Database& db);

// Brings `db` to version `target` (after check_schema).  Only tests pass a
// target below kSchemaVersion, to build an old database to upgrade.
void migrate(Database& db, int target = kSchemaVersion);

}  // namespace metabench
