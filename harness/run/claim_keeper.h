// Holds a run's claim on its cell (results/claims.h) while the run lasts.
//
// The keeper renews the claim's lease from a background thread, on its own
// database connection, every renew_interval() seconds.  When a renewal finds
// the claim gone (taken over after the lease expired, e.g. while this
// process was stopped), it asks the run to stop (request_stop), and the run
// records itself as interrupted; its completion would fail anyway
// (ClaimLost).  The keeper never releases the claim itself: the run's
// completion or end does, in the same transaction as its status.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace metabench {

class ResultsStore;

class ClaimKeeper {
 public:
  // Adopts the claim `run_uuid` that a sweep made for this process;
  // ClaimLost when it is no longer there.
  static std::unique_ptr<ClaimKeeper> adopt(ResultsStore& store, const std::string& run_uuid);
  // Claims `cell` for a run asked for explicitly, whether or not the cell
  // was completed before; EnvironmentError (exit 4) when another process
  // holds a live claim on it.
  static std::unique_ptr<ClaimKeeper> take(ResultsStore& store, const std::string& cell,
                                           const std::string& code_id);
  ~ClaimKeeper();
  ClaimKeeper(const ClaimKeeper&) = delete;
  ClaimKeeper& operator=(const ClaimKeeper&) = delete;

  const std::string& run_uuid() const { return run_uuid_; }

 private:
  ClaimKeeper(std::string db_path, std::string run_uuid, double interval);
  void renew_until_stopped();

  std::string db_path_, run_uuid_;
  double interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace metabench
