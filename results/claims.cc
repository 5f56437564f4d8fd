#include "results/claims.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "core/process.h"
#include "core/strings.h"
#include "results/sqlite.h"

namespace metabench {
namespace {

constexpr const char* kClaimColumns =
    "cell, run_uuid, code_id, host, pid, process_start, claimed_at, lease_seconds, expires_at";

ClaimRecord read_claim(const Statement& s) {
  ClaimRecord c;
  c.cell = s.column_text(0);
  c.run_uuid = s.column_text(1);
  c.code_id = s.column_text(2);
  c.holder.host = s.column_text(3);
  c.holder.pid = s.column_int(4);
  c.holder.start = s.column_text(5);
  c.claimed_at = s.column_double(6);
  c.lease_seconds = s.column_double(7);
  c.expires_at = s.column_double(8);
  return c;
}

// Marks the run that claim `c` was for 'interrupted' (if it is still
// 'running') and deletes the claim; returns how many runs it marked (0 or 1).
int64_t retire_stale_claim(Database& db, const ClaimRecord& c, const std::string& reason) {
  db.prepare(
        "UPDATE runs SET status = 'interrupted', error = ?, "
        "finished_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
        "WHERE run_uuid = ? AND status = 'running'")
      .bind(1, "its claim on the cell was taken over: " + reason)
      .bind(2, c.run_uuid)
      .run();
  const int64_t marked = db.changes();
  delete_claim(db, c.run_uuid);
  return marked;
}

}  // namespace

ClaimHolder ClaimHolder::self() {
  ClaimHolder h;
  h.host = host_identity();
  h.pid = getpid();
  h.start = process_start_time(h.pid);
  return h;
}

std::string ClaimHolder::describe() const { return "pid " + std::to_string(pid) + " on " + host; }

std::string ClaimRecord::stale_reason(double now) const {
  if (expires_at <= now) {
    return format("its lease expired %.0f s ago (holder %s)", now - expires_at,
                  holder.describe().c_str());
  }
  if (process_gone(holder.host, holder.pid, holder.start)) {
    return "its holder (" + holder.describe() + ") is gone";
  }
  return "";
}

double default_lease_seconds() {
  const char* text = std::getenv("METABENCH_LEASE_SECONDS");
  if (text && *text) {
    char* end = nullptr;
    const double v = std::strtod(text, &end);
    if (end != text && *end == '\0' && v >= 1) return v;
    throw ConfigError("METABENCH_LEASE_SECONDS must be a number of seconds >= 1, got '" +
                      std::string(text) + "'");
  }
  return 60;
}

double renew_interval(double lease_seconds) { return std::min(5.0, lease_seconds / 4); }

ClaimAttempt claim_cell(Database& db, const ClaimRequest& request) {
  Transaction tx(db);
  ClaimAttempt attempt;
  if (request.skip_completed) {
    Statement done = db.prepare(
        "SELECT run_id, coalesce(code_id, ''), status FROM runs "
        "WHERE config_hash = ? AND status IN ('completed', 'diverged') ORDER BY run_id");
    done.bind(1, request.cell);
    bool same = false, other = false;
    while (done.step()) {
      const bool mine = done.column_text(1) == request.code_id;
      if (mine || !same) {
        attempt.completed_run_id = done.column_int(0);
        attempt.completed_code_id = done.column_text(1);
        attempt.completed_status = done.column_text(2);
      }
      same = same || mine;
      other = other || !mine;
    }
    if (same || (other && !request.rerun_changed)) {
      attempt.outcome =
          same ? ClaimAttempt::Outcome::kCompleted : ClaimAttempt::Outcome::kCompletedByOtherCode;
      tx.commit();
      return attempt;
    }
  }
  const double now = unix_seconds();
  Statement existing =
      db.prepare(std::string("SELECT ") + kClaimColumns + " FROM claims WHERE cell = ?");
  existing.bind(1, request.cell);
  if (existing.step()) {
    const ClaimRecord held = read_claim(existing);
    const std::string reason = held.stale_reason(now);
    if (reason.empty()) {
      attempt.outcome = ClaimAttempt::Outcome::kHeld;
      attempt.held = held;
      tx.commit();
      return attempt;
    }
    retire_stale_claim(db, held, reason);
    attempt.took_over = true;
    attempt.took_over_reason = reason;
  }
  attempt.outcome = ClaimAttempt::Outcome::kClaimed;
  attempt.run_uuid = random_uuid();
  db.prepare(std::string("INSERT INTO claims (") + kClaimColumns +
             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, request.cell)
      .bind(2, attempt.run_uuid)
      .bind(3, request.code_id)
      .bind(4, request.holder.host)
      .bind(5, request.holder.pid)
      .bind(6, request.holder.start)
      .bind(7, now)
      .bind(8, request.lease_seconds)
      .bind(9, now + request.lease_seconds)
      .run();
  tx.commit();
  return attempt;
}

bool adopt_claim(Database& db, const std::string& run_uuid, const ClaimHolder& holder) {
  Transaction tx(db);
  db.prepare(
        "UPDATE claims SET host = ?, pid = ?, process_start = ?, expires_at = ? + lease_seconds "
        "WHERE run_uuid = ?")
      .bind(1, holder.host)
      .bind(2, holder.pid)
      .bind(3, holder.start)
      .bind(4, unix_seconds())
      .bind(5, run_uuid)
      .run();
  const bool adopted = db.changes() == 1;
  tx.commit();
  return adopted;
}

bool renew_claim(Database& db, const std::string& run_uuid) {
  Transaction tx(db);
  db.prepare("UPDATE claims SET expires_at = ? + lease_seconds WHERE run_uuid = ?")
      .bind(1, unix_seconds())
      .bind(2, run_uuid)
      .run();
  const bool renewed = db.changes() == 1;
  tx.commit();
  return renewed;
}

bool delete_claim(Database& db, const std::string& run_uuid) {
  db.prepare("DELETE FROM claims WHERE run_uuid = ?").bind(1, run_uuid).run();
  return db.changes() == 1;
}

std::optional<ClaimRecord> find_claim(Database& db, const std::string& run_uuid) {
  Statement s =
      db.prepare(std::string("SELECT ") + kClaimColumns + " FROM claims WHERE run_uuid = ?");
  s.bind(1, run_uuid);
  if (s.step()) return read_claim(s);
  return std::nullopt;
}

int64_t close_orphaned_runs(Database& db) {
  Transaction tx(db);
  const double now = unix_seconds();
  std::vector<std::pair<ClaimRecord, std::string>> stale;
  Statement claims = db.prepare(std::string("SELECT ") + kClaimColumns + " FROM claims");
  while (claims.step()) {
    ClaimRecord c = read_claim(claims);
    std::string reason = c.stale_reason(now);
    if (!reason.empty()) stale.emplace_back(std::move(c), std::move(reason));
  }
  int64_t closed = 0;
  for (const auto& [claim, reason] : stale) closed += retire_stale_claim(db, claim, reason);
  // A 'running' run holds a claim from before it starts until it ends; one
  // without a claim (now) had its process killed.
  db.prepare(
        "UPDATE runs SET status = 'interrupted', error = 'the process running it disappeared "
        "without recording an end (killed or crashed)', "
        "finished_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
        "WHERE status = 'running' AND run_uuid NOT IN (SELECT run_uuid FROM claims)")
      .run();
  closed += db.changes();
  tx.commit();
  return closed;
}

}  // namespace metabench
