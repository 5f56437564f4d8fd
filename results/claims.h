// Claims on sweep cells, with leases: what keeps a cell from running twice.
//
// A cell (a config hash) is claimed in the results database, in one short
// IMMEDIATE transaction, at the moment it starts: only if it has no
// completed or diverged run (by this code, see ClaimRequest; a divergence is
// a result, and would happen again) and no live claim.  The
// claim names the run's UUID, which the run records, and its holder (host,
// pid, process start time).  The holder renews the lease every few seconds;
// a claim is stale, and any process on any host may take it over, once its
// lease has expired or, on the holder's own host, once the holder process
// is gone (a pid reused by another process does not count as the holder).
// Taking over marks the old run 'interrupted'.  A run's completion deletes
// its claim in the same transaction as the results, and fails with
// ClaimLost when its claim was taken over, so at most one run of a cell
// ever completes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "metabench/errors.h"

namespace metabench {

class Database;

// The run's claim was taken over (its lease expired while it ran, e.g. the
// process was stopped); nothing of it is recorded as completed.
class ClaimLost : public Error {
 public:
  using Error::Error;
};

struct ClaimHolder {
  std::string host;  // host_identity() (core/process.h)
  int64_t pid = 0;
  std::string start;  // process_start_time(pid)
  // This process.
  static ClaimHolder self();
  std::string describe() const;  // "pid 4242 on vm/3f2a9c01"
};

struct ClaimRecord {
  std::string cell, run_uuid, code_id;
  ClaimHolder holder;
  double claimed_at = 0, lease_seconds = 0, expires_at = 0;
  // Why the claim may be taken over at unix time `now`; "" while it is live.
  std::string stale_reason(double now) const;
};

// The lease of new claims: $METABENCH_LEASE_SECONDS, else 60 s.  A holder
// renews every renew_interval(lease) seconds.
double default_lease_seconds();
double renew_interval(double lease_seconds);

struct ClaimRequest {
  std::string cell;  // the config hash
  std::string code_id;
  // A sweep claims only cells without a completed run; `metabench run`
  // runs what it is asked to, completed or not.
  bool skip_completed = true;
  // With skip_completed: a cell completed only by other code is claimed.
  bool rerun_changed = false;
  double lease_seconds = 60;
  ClaimHolder holder;
};

struct ClaimAttempt {
  enum class Outcome { kClaimed, kCompleted, kCompletedByOtherCode, kHeld };
  Outcome outcome = Outcome::kHeld;
  std::string run_uuid;          // kClaimed: the UUID the new run records
  int64_t completed_run_id = 0;  // kCompleted...: the latest such run
  std::string completed_code_id;
  std::string completed_status;  // 'completed', or 'diverged' (a result too)
  ClaimRecord held;              // kHeld: the live claim
  bool took_over = false;        // kClaimed: a stale claim was taken over
  std::string took_over_reason;
};

// One IMMEDIATE transaction; throws StoreError or EnvironmentError (busy).
ClaimAttempt claim_cell(Database& db, const ClaimRequest& request);

// Makes `holder` the holder of claim `run_uuid` and renews its lease; false
// when the claim is gone (taken over).  Own transaction.
bool adopt_claim(Database& db, const std::string& run_uuid, const ClaimHolder& holder);
// Renews the lease of claim `run_uuid`; false when it is gone.  Own transaction.
bool renew_claim(Database& db, const std::string& run_uuid);
// Deletes claim `run_uuid`; true when it was there.  Call inside the
// caller's transaction (it opens none).
bool delete_claim(Database& db, const std::string& run_uuid);

std::optional<ClaimRecord> find_claim(Database& db, const std::string& run_uuid);

// Runs left 'running' without a live claim (their process was killed before
// it could record an end) become 'interrupted', and stale claims whose run
// never started are deleted.  Returns how many runs were closed.  Own
// transaction.
int64_t close_orphaned_runs(Database& db);

}  // namespace metabench
