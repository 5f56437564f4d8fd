// ResultsStore: everything metabench records, in one SQLite file.
//
// One row in `runs` per attempt at an experiment, with its full resolved
// config, config hash and provenance; its learning curve; one row per test
// episode; and a summary in `run_results`.  Every write is one short
// transaction, so a crash or Ctrl-C loses at most the write in flight and
// never corrupts what was recorded.  The database runs in WAL mode with a busy
// timeout, so parallel sweep workers can write to it at once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/code_identity.h"
#include "results/sqlite.h"

namespace metabench {

struct RunRecord {
  // The run's identity across databases (merges): the UUID of its claim
  // (results/claims.h).  Empty: begin_run() makes one, with a claim of its
  // own that no sweep cell shares.
  std::string run_uuid;
  std::string sweep;
  std::string name;
  std::string config_hash;
  std::string config_yaml;
  // What reports group and plot by: the config family (core/config_family.h)
  // and the inner-loop steps in training and at test.
  std::string config_family;
  int64_t inner_steps = 0, inner_steps_test = 0;
  std::string algorithm, dataset, backbone;
  int64_t ways = 0, shots = 0, queries = 0, train_ways = 0, train_shots = 0;
  int64_t seed = 0, eval_seed = 0;
  std::string git_commit, metabench_version, torch_version, device, host, cpu_model;
  // What produced the run (core/code_identity.h), and every plugin loaded
  // in the process (table run_plugins).
  std::string code_id;
  std::vector<PluginIdentity> plugins;
  // The BLAS library loaded, the allocator, the compiler and build options,
  // the CPU's vector instruction sets (core/system_info.h, build_info.h).
  std::string blas, allocator, build_settings, cpu_isa;
  // The command line that started the run (for a sweep's cells, the
  // sweep's), shell-quoted for display: what to type to reproduce it.
  std::string command;
  // The effective resolved config, key by key (table run_config).
  std::vector<std::pair<std::string, std::string>> config_values;
  int64_t threads = 0, pid = 0;
  // Processes the run's meta-batches are split over (c10d; 1 usually), and
  // the accelerator's name and driver ("" on CPU).
  int64_t world_size = 1;
  std::string device_name;
  std::string dataset_checksum, test_episodes_checksum;
  std::string dataset_source_checksum;  // SHA-256 of the files the dataset was read from
  // Cross-dataset evaluation (`metabench eval`): kind "eval", the training
  // run (0 when the checkpoint's run is not in this database) and checkpoint.
  std::string kind = "train";
  int64_t source_run_id = 0;
  std::string source_checkpoint;
};

struct CurvePoint {
  int64_t step = 0;
  std::string split;  // "train" or "val"
  double loss = 0, accuracy = 0, elapsed_seconds = 0;
};

struct EpisodeResult {
  int64_t index = 0;
  double accuracy = 0;  // fraction; NaN for regression
  double loss = 0;
};

struct RunSummary {
  double test_accuracy = 0, test_accuracy_ci95 = 0;  // fractions; NaN for regression
  double test_loss = 0, test_loss_ci95 = 0;
  int64_t test_episodes = 0, iterations = 0;
  double data_seconds = 0, train_seconds = 0, val_seconds = 0, test_seconds = 0;
  double seconds_per_iteration = 0, adapt_ms = 0, peak_rss_mb = 0, peak_device_mb = 0;
  int64_t best_val_step = 0;
  double best_val_accuracy = 0, best_val_loss = 0;
};

class ResultsStore {
 public:
  enum class Access { kReadOnly, kReadWrite };
  // kReadWrite creates the file (and its directory) and migrates the schema;
  // kReadOnly requires an existing metabench database.  Throws StoreError.
  ResultsStore(const std::string& path, Access access);

  int schema_version();
  const std::string& path() const { return db_.path(); }
  Database& database() { return db_; }

  // Inserts a run with status 'running' under its claim; returns its
  // run_id.  Throws ClaimLost when the claim `run.run_uuid` is gone.
  int64_t begin_run(const RunRecord& run, const std::string& started_at);
  void set_checkpoint_path(int64_t run_id, const std::string& path);
  // Where the run writes its training snapshots (harness/run/snapshot.h).
  void set_snapshot_path(int64_t run_id, const std::string& path);

  // The latest run of `config_hash` by `code_id` that ended 'interrupted' or
  // 'failed' and recorded a snapshot path (the file may be gone): what
  // `metabench run --resume` and a sweep continue.
  struct ResumableRun {
    int64_t run_id = 0;
    std::string run_uuid, status, checkpoint_path, snapshot_path;
  };
  std::optional<ResumableRun> resumable_run(const std::string& config_hash,
                                            const std::string& code_id);
  // Makes run `run_id` 'running' again, in this process under claim
  // `run.run_uuid` (which becomes the row's UUID), with `run`'s process
  // fields (pid, host, threads, command, world size, device), and deletes
  // the learning-curve points recorded after the snapshot it resumes from
  // (steps after `iteration`, and the validation point at `iteration` when
  // that validation is still to run), so none is recorded twice.  One
  // transaction; throws ClaimLost when the claim is gone and StoreError
  // when the run is no longer interrupted or failed (another process
  // resumed it).
  void resume_run(int64_t run_id, const RunRecord& run, int64_t iteration, bool validation_pending);
  void add_curve_points(int64_t run_id, const std::vector<CurvePoint>& points);
  // Stores the test episodes, the summary and status 'completed' and
  // deletes the run's claim, at once; throws ClaimLost (recording nothing)
  // when the claim was taken over.  This and the other writes to a run this
  // store began or resumed check that the run is still this process's (not
  // resumed elsewhere after a takeover); add_curve_points() throws ClaimLost
  // and end_run() writes nothing when it is not.
  void complete_run(int64_t run_id, const std::vector<EpisodeResult>& episodes,
                    const RunSummary& summary, const std::string& finished_at);
  // Sets status 'failed' or 'interrupted' with a message, if still running,
  // and releases the run's claim.
  void end_run(int64_t run_id, const std::string& status, const std::string& message,
               const std::string& finished_at);

  // The run_id of a completed run with this config hash, if any.
  std::optional<int64_t> completed_run(const std::string& config_hash);
  struct CompletedRun {
    int64_t run_id = 0;
    std::string code_id;
  };
  // The run's effective config values (table run_config), by key.
  std::map<std::string, std::string> config_values(int64_t run_id);
  // Every completed run with this config hash, oldest first.
  std::vector<CompletedRun> completed_runs(const std::string& config_hash);
  // The resolved config YAML of the latest run with this config hash, if any.
  std::optional<std::string> config_yaml(const std::string& config_hash);
  // The completed run with this config hash that trained a checkpoint: the
  // one that recorded `checkpoint_path` if any, else the latest.
  std::optional<int64_t> training_run(const std::string& config_hash,
                                      const std::string& checkpoint_path);
  // The run recorded under `run_uuid`: its id and status, if there is one.
  struct RunState {
    int64_t run_id = 0;
    std::string status;
  };
  std::optional<RunState> run_state(const std::string& run_uuid);
  // For a process that died holding claim `run_uuid` (a sweep's child
  // killed or crashed): its run, if still 'running', becomes 'failed' with
  // `message`, and the claim is released, so the next sweep runs the cell.
  void abandon_claim(const std::string& run_uuid, const std::string& message);

 private:
  // The UUID under which this store began or resumed run `run_id`, else the
  // row's.
  std::string uuid_of(int64_t run_id);
  Database db_;
  std::map<int64_t, std::string> owned_;
};

}  // namespace metabench
