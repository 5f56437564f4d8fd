#include "harness/run/claim_keeper.h"

#include <chrono>

#include "core/interrupt.h"
#include "results/claims.h"
#include "results/sqlite.h"
#include "results/store.h"

namespace metabench {

std::unique_ptr<ClaimKeeper> ClaimKeeper::adopt(ResultsStore& store, const std::string& run_uuid) {
  if (!adopt_claim(store.database(), run_uuid, ClaimHolder::self())) {
    throw ClaimLost("the sweep's claim " + run_uuid +
                    " on this cell was taken over by another process before this run started; "
                    "that process runs the cell");
  }
  const std::optional<ClaimRecord> claim = find_claim(store.database(), run_uuid);
  const double lease = claim ? claim->lease_seconds : default_lease_seconds();
  return std::unique_ptr<ClaimKeeper>(
      new ClaimKeeper(store.path(), run_uuid, renew_interval(lease)));
}

std::unique_ptr<ClaimKeeper> ClaimKeeper::take(ResultsStore& store, const std::string& cell,
                                               const std::string& code_id) {
  ClaimRequest request;
  request.cell = cell;
  request.code_id = code_id;
  request.skip_completed = false;
  request.lease_seconds = default_lease_seconds();
  request.holder = ClaimHolder::self();
  const ClaimAttempt attempt = claim_cell(store.database(), request);
  if (attempt.outcome == ClaimAttempt::Outcome::kHeld) {
    throw EnvironmentError("this config (" + cell.substr(0, 12) + ") is being run by " +
                           attempt.held.holder.describe() + " in '" + store.path() + "' (claim " +
                           attempt.held.run_uuid +
                           "); wait for it to finish, or for its lease to expire if it died");
  }
  return std::unique_ptr<ClaimKeeper>(
      new ClaimKeeper(store.path(), attempt.run_uuid, renew_interval(request.lease_seconds)));
}

ClaimKeeper::ClaimKeeper(std::string db_path, std::string run_uuid, double interval)
    : db_path_(std::move(db_path)), run_uuid_(std::move(run_uuid)), interval_(interval) {
  thread_ = std::thread([this] { renew_until_stopped(); });
}

ClaimKeeper::~ClaimKeeper() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ClaimKeeper::renew_until_stopped() {
  std::unique_ptr<Database> db;
  std::unique_lock<std::mutex> lock(mutex_);
  const auto interval = std::chrono::duration<double>(interval_);
  while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
    lock.unlock();
    bool lost = false;
    try {
      if (!db) db = std::make_unique<Database>(db_path_, Database::Mode::kReadWrite);
      lost = !renew_claim(*db, run_uuid_);
    } catch (const std::exception&) {
      // Busy beyond the timeout or a transient I/O error: try again at the
      // next interval; the lease is several intervals long.
    }
    lock.lock();
    if (lost) {
      request_stop(
          "this run lost its claim on the cell: its lease expired and another process "
          "took the cell over");
      return;
    }
  }
}

}  // namespace metabench
