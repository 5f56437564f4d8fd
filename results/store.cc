#include "results/store.h"

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "core/files.h"
#include "core/process.h"
#include "core/strings.h"
#include "metabench/errors.h"
#include "results/claims.h"
#include "results/schema.h"

namespace metabench {
namespace {

std::string prepare_path(const std::string& path, ResultsStore::Access access) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (access == ResultsStore::Access::kReadOnly) {
    if (!fs::exists(path, ec)) {
      throw StoreError("no results database at '" + path +
                       "' (expected a file written by `metabench run` or `metabench sweep`)");
    }
    return path;
  }
  if (fs::is_directory(path, ec)) {
    throw StoreError("results database path '" + path + "' is a directory, expected a file");
  }
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::exists(parent, ec)) {
    try {
      make_directories(parent.string());
    } catch (const UserError& e) {
      throw StoreError(std::string("cannot create the results database: ") + e.what());
    }
  }
  return path;
}

// The UUID of run `run_id`; InternalError when there is no such run.
std::string row_uuid(Database& db, int64_t run_id) {
  Statement s = db.prepare("SELECT run_uuid FROM runs WHERE run_id = ?");
  s.bind(1, run_id);
  if (!s.step()) throw InternalError("no run " + std::to_string(run_id) + " in " + db.path());
  return s.column_text(0);
}

}  // namespace

std::string ResultsStore::uuid_of(int64_t run_id) {
  const auto it = owned_.find(run_id);
  return it != owned_.end() ? it->second : row_uuid(db_, run_id);
}

ResultsStore::ResultsStore(const std::string& path, Access access)
    : db_(prepare_path(path, access),
          access == Access::kReadOnly ? Database::Mode::kReadOnly : Database::Mode::kReadWrite) {
  const int version = check_schema(db_);
  if (access == Access::kReadOnly) {
    if (version == 0) {
      throw StoreError("'" + path + "' is an empty database, not metabench results");
    }
    if (version < kSchemaVersion) {
      throw StoreError("results database '" + path + "' has schema version " +
                       std::to_string(version) + "; open it once with `metabench sweep` or " +
                       "`metabench run` to upgrade it to version " +
                       std::to_string(kSchemaVersion));
    }
    return;
  }
  const std::string folder = std::filesystem::absolute(path).parent_path().string();
  const std::string network = network_filesystem(folder);
  if (!network.empty()) {
    // A warning, not a refusal: processes of one host may share it.
    std::fprintf(stderr,
                 "metabench: warning: the results database '%s' is on a network filesystem "
                 "(%s); SQLite's WAL mode is safe only among processes of one host, so do not "
                 "write it from several hosts at once: give each host or Slurm task its own "
                 "database and merge them (metabench slurm, metabench db merge; "
                 "docs/cluster.md)\n",
                 path.c_str(), network.c_str());
  }
  try {
    db_.exec("PRAGMA journal_mode = WAL");
  } catch (const StoreError& e) {
    throw StoreError("cannot write results database '" + path + "': " + e.what());
  }
  migrate(db_);
  db_.exec("PRAGMA foreign_keys = ON");
}

int ResultsStore::schema_version() {
  Statement s = db_.prepare("PRAGMA user_version");
  return s.step() ? static_cast<int>(s.column_int(0)) : 0;
}

int64_t ResultsStore::begin_run(const RunRecord& record, const std::string& started_at) {
  RunRecord r = record;
  if (r.run_uuid.empty()) {
    ClaimRequest own;
    own.cell = "run:" + random_uuid();
    own.code_id = r.code_id;
    own.skip_completed = false;
    own.lease_seconds = default_lease_seconds();
    own.holder = ClaimHolder::self();
    r.run_uuid = claim_cell(db_, own).run_uuid;
  }
  Transaction tx(db_);
  if (!find_claim(db_, r.run_uuid)) {
    throw ClaimLost("the claim " + r.run_uuid + " of run '" + r.name +
                    "' was taken over before it started");
  }
  Statement s = db_.prepare(
      "INSERT INTO runs (sweep, name, config_hash, config_yaml, algorithm, dataset, backbone, "
      "ways, shots, queries, train_ways, train_shots, seed, eval_seed, status, git_commit, "
      "metabench_version, torch_version, threads, device, host, cpu_model, pid, "
      "dataset_checksum, test_episodes_checksum, started_at, dataset_source_checksum, kind, "
      "source_run_id, source_checkpoint, config_family, inner_steps, inner_steps_test, code_id, "
      "blas, allocator, build_settings, cpu_isa, command, run_uuid, world_size, device_name) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
      "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  int i = 1;
  if (r.sweep.empty()) {
    s.bind_null(i++);
  } else {
    s.bind(i++, r.sweep);
  }
  s.bind(i++, r.name).bind(i++, r.config_hash).bind(i++, r.config_yaml);
  s.bind(i++, r.algorithm).bind(i++, r.dataset).bind(i++, r.backbone);
  s.bind(i++, r.ways).bind(i++, r.shots).bind(i++, r.queries);
  s.bind(i++, r.train_ways).bind(i++, r.train_shots).bind(i++, r.seed).bind(i++, r.eval_seed);
  s.bind(i++, r.git_commit).bind(i++, r.metabench_version).bind(i++, r.torch_version);
  s.bind(i++, r.threads).bind(i++, r.device).bind(i++, r.host).bind(i++, r.cpu_model);
  s.bind(i++, r.pid).bind(i++, r.dataset_checksum).bind(i++, r.test_episodes_checksum);
  s.bind(i++, started_at).bind(i++, r.dataset_source_checksum).bind(i++, r.kind);
  if (r.source_run_id > 0) {
    s.bind(i++, r.source_run_id);
  } else {
    s.bind_null(i++);
  }
  if (r.source_checkpoint.empty()) {
    s.bind_null(i++);
  } else {
    s.bind(i++, r.source_checkpoint);
  }
  s.bind(i++, r.config_family).bind(i++, r.inner_steps).bind(i++, r.inner_steps_test);
  s.bind(i++, r.code_id).bind(i++, r.blas).bind(i++, r.allocator).bind(i++, r.build_settings);
  s.bind(i++, r.cpu_isa).bind(i++, r.command).bind(i++, r.run_uuid);
  s.bind(i++, r.world_size).bind(i++, r.device_name);
  s.run();
  const int64_t id = db_.last_insert_id();
  Statement plugin = db_.prepare(
      "INSERT INTO run_plugins (run_id, path, sha256, version, provides) VALUES (?, ?, ?, ?, ?)");
  for (const PluginIdentity& p : r.plugins) {
    plugin.bind(1, id).bind(2, p.path).bind(3, p.sha256).bind(4, p.version);
    plugin.bind(5, join(p.provides, ", ")).run();
  }
  Statement config = db_.prepare("INSERT INTO run_config (run_id, key, value) VALUES (?, ?, ?)");
  for (const auto& [key, value] : r.config_values) {
    config.bind(1, id).bind(2, key).bind(3, value).run();
  }
  tx.commit();
  owned_[id] = r.run_uuid;
  return id;
}

void ResultsStore::set_checkpoint_path(int64_t run_id, const std::string& path) {
  Transaction tx(db_);
  db_.prepare("UPDATE runs SET checkpoint_path = ? WHERE run_id = ?")
      .bind(1, path)
      .bind(2, run_id)
      .run();
  tx.commit();
}

void ResultsStore::add_curve_points(int64_t run_id, const std::vector<CurvePoint>& points) {
  if (points.empty()) return;
  Transaction tx(db_);
  const std::string uuid = uuid_of(run_id);
  if (row_uuid(db_, run_id) != uuid) {
    throw ClaimLost("run " + std::to_string(run_id) +
                    " was resumed by another process after this one lost its claim");
  }
  Statement s = db_.prepare(
      "INSERT INTO learning_curve (run_id, step, split, loss, accuracy, elapsed_seconds) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  for (const auto& p : points) {
    s.bind(1, run_id).bind(2, p.step).bind(3, p.split).bind_real_or_null(4, p.loss);
    s.bind_real_or_null(5, p.accuracy).bind(6, p.elapsed_seconds);
    s.run();
  }
  tx.commit();
}

void ResultsStore::complete_run(int64_t run_id, const std::vector<EpisodeResult>& episodes,
                                const RunSummary& m, const std::string& finished_at) {
  Transaction tx(db_);
  const std::string uuid = uuid_of(run_id);
  if (row_uuid(db_, run_id) != uuid || !delete_claim(db_, uuid)) {
    throw ClaimLost("run " + std::to_string(run_id) + " (" + uuid +
                    ") lost its claim on the cell to another process while it ran (its lease "
                    "expired); its results are not recorded, the other process's are");
  }
  Statement e = db_.prepare(
      "INSERT INTO test_episodes (run_id, episode_index, accuracy, loss) VALUES (?, ?, ?, ?)");
  for (const auto& ep : episodes) {
    e.bind(1, run_id).bind(2, ep.index).bind_real_or_null(3, ep.accuracy).bind(4, ep.loss);
    e.run();
  }
  Statement s = db_.prepare(
      "INSERT INTO run_results (run_id, test_accuracy, test_accuracy_ci95, test_loss, "
      "test_loss_ci95, test_episodes, iterations, data_seconds, train_seconds, val_seconds, "
      "test_seconds, seconds_per_iteration, adapt_ms, peak_rss_mb, peak_device_mb, "
      "best_val_step, best_val_accuracy, best_val_loss) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.bind(1, run_id)
      .bind_real_or_null(2, m.test_accuracy)
      .bind_real_or_null(3, m.test_accuracy_ci95);
  s.bind(4, m.test_loss).bind(5, m.test_loss_ci95).bind(6, m.test_episodes).bind(7, m.iterations);
  s.bind(8, m.data_seconds).bind(9, m.train_seconds).bind(10, m.val_seconds);
  s.bind(11, m.test_seconds).bind(12, m.seconds_per_iteration).bind(13, m.adapt_ms);
  s.bind(14, m.peak_rss_mb).bind(15, m.peak_device_mb).bind(16, m.best_val_step);
  s.bind_real_or_null(17, m.best_val_accuracy).bind(18, m.best_val_loss);
  s.run();
  db_.prepare("UPDATE runs SET status = 'completed', finished_at = ? WHERE run_id = ?")
      .bind(1, finished_at)
      .bind(2, run_id)
      .run();
  tx.commit();
}

void ResultsStore::end_run(int64_t run_id, const std::string& status, const std::string& message,
                           const std::string& finished_at) {
  Transaction tx(db_);
  db_.prepare(
         "UPDATE runs SET status = ?, error = ?, finished_at = ? "
         "WHERE run_id = ? AND status = 'running' AND run_uuid = ?")
      .bind(1, status)
      .bind(2, message)
      .bind(3, finished_at)
      .bind(4, run_id)
      .bind(5, uuid_of(run_id))
      .run();
  delete_claim(db_, uuid_of(run_id));
  tx.commit();
}

std::optional<ResultsStore::RunState> ResultsStore::run_state(const std::string& run_uuid) {
  Statement s = db_.prepare("SELECT run_id, status FROM runs WHERE run_uuid = ?");
  s.bind(1, run_uuid);
  if (!s.step()) return std::nullopt;
  return RunState{s.column_int(0), s.column_text(1)};
}

void ResultsStore::abandon_claim(const std::string& run_uuid, const std::string& message) {
  Transaction tx(db_);
  db_.prepare(
         "UPDATE runs SET status = 'failed', error = ?, "
         "finished_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
         "WHERE run_uuid = ? AND status = 'running'")
      .bind(1, message)
      .bind(2, run_uuid)
      .run();
  delete_claim(db_, run_uuid);
  tx.commit();
}

std::optional<int64_t> ResultsStore::completed_run(const std::string& config_hash) {
  const std::vector<CompletedRun> runs = completed_runs(config_hash);
  if (runs.empty()) return std::nullopt;
  return runs.front().run_id;
}

std::map<std::string, std::string> ResultsStore::config_values(int64_t run_id) {
  Statement s = db_.prepare("SELECT key, value FROM run_config WHERE run_id = ?");
  s.bind(1, run_id);
  std::map<std::string, std::string> values;
  while (s.step()) values[s.column_text(0)] = s.column_text(1);
  return values;
}

std::vector<ResultsStore::CompletedRun> ResultsStore::completed_runs(
    const std::string& config_hash) {
  Statement s = db_.prepare(
      "SELECT run_id, coalesce(code_id, '') FROM runs WHERE config_hash = ? AND status = "
      "'completed' ORDER BY run_id");
  s.bind(1, config_hash);
  std::vector<CompletedRun> runs;
  while (s.step()) runs.push_back({s.column_int(0), s.column_text(1)});
  return runs;
}

std::optional<std::string> ResultsStore::config_yaml(const std::string& config_hash) {
  Statement s = db_.prepare(
      "SELECT config_yaml FROM runs WHERE config_hash = ? ORDER BY run_id DESC LIMIT 1");
  s.bind(1, config_hash);
  if (s.step()) return s.column_text(0);
  return std::nullopt;
}

std::optional<int64_t> ResultsStore::training_run(const std::string& config_hash,
                                                  const std::string& checkpoint_path) {
  Statement s = db_.prepare(
      "SELECT run_id FROM runs WHERE config_hash = ? AND status = 'completed' "
      "ORDER BY (checkpoint_path = ?) DESC, run_id DESC LIMIT 1");
  s.bind(1, config_hash).bind(2, checkpoint_path);
  if (s.step()) return s.column_int(0);
  return std::nullopt;
}

}  // namespace metabench
