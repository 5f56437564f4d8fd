// results/claims.h: a cell is claimed only when it has no completed (or
// diverged) run by the same code and no live claim; completion needs the
// claim and deletes it; a taken-over run cannot complete.
#include "results/claims.h"

#include <gtest/gtest.h>

#include "results/sqlite.h"
#include "results/store.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

RunRecord record(const std::string& hash, const std::string& uuid, const std::string& code) {
  RunRecord r;
  r.run_uuid = uuid;
  r.config_hash = hash;
  r.config_yaml = "x: 1\n";
  r.algorithm = "protonet";
  r.dataset = "synthetic-glyphs";
  r.backbone = "conv4";
  r.code_id = code;
  return r;
}

ClaimRequest request(const std::string& cell, const std::string& code) {
  ClaimRequest r;
  r.cell = cell;
  r.code_id = code;
  r.holder = ClaimHolder::self();
  return r;
}

TEST(Claims, ACellIsClaimedOnceAndCompletionReleasesIt) {
  testing::TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  Database& db = store.database();
  const ClaimAttempt first = claim_cell(db, request("h", "code-a"));
  ASSERT_EQ(first.outcome, ClaimAttempt::Outcome::kClaimed);
  const ClaimAttempt second = claim_cell(db, request("h", "code-a"));
  ASSERT_EQ(second.outcome, ClaimAttempt::Outcome::kHeld);
  EXPECT_EQ(second.held.run_uuid, first.run_uuid);
  EXPECT_EQ(second.held.holder.pid, getpid());

  const int64_t id = store.begin_run(record("h", first.run_uuid, "code-a"), "t");
  store.complete_run(id, {{0, 1.0, 0.5}}, RunSummary{}, "t");
  EXPECT_FALSE(find_claim(db, first.run_uuid).has_value());
  const ClaimAttempt done = claim_cell(db, request("h", "code-a"));
  EXPECT_EQ(done.outcome, ClaimAttempt::Outcome::kCompleted);
  EXPECT_EQ(done.completed_run_id, id);

  // Another build: reported, claimed only with rerun_changed.
  EXPECT_EQ(claim_cell(db, request("h", "code-b")).outcome,
            ClaimAttempt::Outcome::kCompletedByOtherCode);
  ClaimRequest rerun = request("h", "code-b");
  rerun.rerun_changed = true;
  const ClaimAttempt again = claim_cell(db, rerun);
  EXPECT_EQ(again.outcome, ClaimAttempt::Outcome::kClaimed);
  EXPECT_EQ(again.completed_run_id, id) << "the run by other code is named";
}

TEST(Claims, ARunWhoseClaimWasTakenOverCannotStartOrComplete) {
  testing::TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  Database& db = store.database();
  ClaimRequest expiring = request("h", "c");
  expiring.lease_seconds = -1;  // expired at once
  const ClaimAttempt old = claim_cell(db, expiring);
  const int64_t id = store.begin_run(record("h", old.run_uuid, "c"), "t");
  const ClaimAttempt taken = claim_cell(db, request("h", "c"));
  ASSERT_EQ(taken.outcome, ClaimAttempt::Outcome::kClaimed);
  EXPECT_TRUE(taken.took_over);
  EXPECT_NE(taken.took_over_reason.find("lease expired"), std::string::npos);
  EXPECT_FALSE(renew_claim(db, old.run_uuid));
  EXPECT_FALSE(adopt_claim(db, old.run_uuid, ClaimHolder::self()));
  EXPECT_THROW(store.complete_run(id, {{0, 1.0, 0.5}}, RunSummary{}, "t"), ClaimLost);
  EXPECT_EQ(store.run_state(old.run_uuid)->status, "interrupted");
  EXPECT_THROW(store.begin_run(record("h", old.run_uuid, "c"), "t"), ClaimLost);
  // The new holder completes; a diverged run is a result too.
  const int64_t mine = store.begin_run(record("h", taken.run_uuid, "c"), "t");
  store.end_run(mine, "diverged", "loss nan", "t");
  EXPECT_EQ(claim_cell(db, request("h", "c")).outcome, ClaimAttempt::Outcome::kCompleted);
  EXPECT_EQ(claim_cell(db, request("h", "c")).completed_status, "diverged");
}

}  // namespace
}  // namespace metabench
