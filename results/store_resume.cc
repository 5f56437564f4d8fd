// ResultsStore's part for resumable runs (results/store.h): where a run's
// snapshot is, which run a resume continues, and taking that run over.
#include "core/strings.h"
#include "metabench/errors.h"
#include "results/claims.h"
#include "results/store.h"

namespace metabench {

void ResultsStore::set_snapshot_path(int64_t run_id, const std::string& path) {
  Transaction tx(db_);
  db_.prepare("UPDATE runs SET snapshot_path = ? WHERE run_id = ?")
      .bind(1, path)
      .bind(2, run_id)
      .run();
  tx.commit();
}

std::optional<ResultsStore::ResumableRun> ResultsStore::resumable_run(
    const std::string& config_hash, const std::string& code_id) {
  Statement s = db_.prepare(
      "SELECT run_id, run_uuid, status, coalesce(checkpoint_path, ''), snapshot_path FROM runs "
      "WHERE config_hash = ? AND code_id = ? AND kind = 'train' "
      "AND status IN ('interrupted', 'failed') AND snapshot_path IS NOT NULL "
      "ORDER BY run_id DESC LIMIT 1");
  s.bind(1, config_hash).bind(2, code_id);
  if (!s.step()) return std::nullopt;
  return ResumableRun{s.column_int(0), s.column_text(1), s.column_text(2), s.column_text(3),
                      s.column_text(4)};
}

void ResultsStore::resume_run(int64_t run_id, const RunRecord& run, int64_t iteration,
                              bool validation_pending) {
  Transaction tx(db_);
  if (!find_claim(db_, run.run_uuid)) {
    throw ClaimLost("the claim " + run.run_uuid + " was taken over before run " +
                    std::to_string(run_id) + " could resume");
  }
  Statement status = db_.prepare("SELECT status FROM runs WHERE run_id = ?");
  status.bind(1, run_id);
  if (!status.step()) throw InternalError("no run " + std::to_string(run_id) + " to resume");
  const std::string was = status.column_text(0);
  if (was != "interrupted" && was != "failed") {
    throw StoreError("run " + std::to_string(run_id) + " cannot be resumed: its status is '" + was +
                     "', expected 'interrupted' or 'failed' (another process resumed it)");
  }
  db_.prepare(
         "UPDATE runs SET status = 'running', error = NULL, finished_at = NULL, run_uuid = ?, "
         "pid = ?, host = ?, threads = ?, command = ?, world_size = ?, device = ?, "
         "device_name = ?, resumes = resumes + 1 WHERE run_id = ?")
      .bind(1, run.run_uuid)
      .bind(2, run.pid)
      .bind(3, run.host)
      .bind(4, run.threads)
      .bind(5, run.command)
      .bind(6, run.world_size)
      .bind(7, run.device)
      .bind(8, run.device_name)
      .bind(9, run_id)
      .run();
  db_.prepare(
         "DELETE FROM learning_curve WHERE run_id = ? "
         "AND (step > ? OR (step = ? AND split = 'val' AND ?))")
      .bind(1, run_id)
      .bind(2, iteration)
      .bind(3, iteration)
      .bind(4, static_cast<int64_t>(validation_pending ? 1 : 0))
      .run();
  tx.commit();
  owned_[run_id] = run.run_uuid;
}

}  // namespace metabench
