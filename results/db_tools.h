// Maintenance of results databases (`metabench db`): merging shards,
// checking health, upgrading with a backup, pruning runs.
//
// Merging is what makes per-shard databases (one per Slurm array task,
// docs/cluster.md) one results database: each finished run is copied with
// all its rows, identified by its run UUID, so merging the same shard twice
// adds nothing.  When a cell (config hash and code identity) ends up with
// two completed runs, from two shards, the run with the smallest UUID is
// kept and the others become 'superseded' (a rule that does not depend on
// the order of merges), and the conflict is reported.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace metabench {

class ResultsStore;

struct MergeReport {
  int64_t added = 0;                   // runs copied into the output
  int64_t already = 0;                 // runs the output had (same UUID)
  int64_t unfinished = 0;              // 'running' runs left out (merge again when they end)
  std::vector<std::string> conflicts;  // cells completed twice, and the resolution
};

// Merges every finished run of the database at `shard_path` into `out`, in
// one transaction.  StoreError for a shard that is not a metabench database
// of this schema version, or is `out` itself.
MergeReport merge_database(ResultsStore& out, const std::string& shard_path);

struct CheckReport {
  std::vector<std::string> problems;  // integrity, foreign keys, cells completed twice
  std::vector<std::string> notes;     // stale claims, runs left 'running' (a sweep fixes them)
};

// Reads only.  integrity_check, foreign_key_check (rows whose run is gone:
// deletes made with foreign keys off, as in the sqlite3 shell), stale claims,
// runs 'running' without a live claim, cells completed twice by one code.
CheckReport check_database(ResultsStore& store);

// Deletes the runs with `status` (failed, interrupted, diverged or
// superseded) with all their rows, in one transaction; returns how many.
// Evaluation runs that referred to them keep their results, with
// source_run_id cleared.
int64_t prune_runs(ResultsStore& store, const std::string& status);

// Copies the database at `path` (consistently, through SQLite: VACUUM INTO)
// to `backup_path`, which must not exist.
void backup_database(const std::string& path, const std::string& backup_path);

}  // namespace metabench
