// One run over several processes with c10d: the rendezvous, the process
// group each meta-batch is split over, and the local launcher behind
// `metabench run --nproc N`.
//
// The rendezvous uses the variables torch.distributed uses: MASTER_ADDR,
// MASTER_PORT, WORLD_SIZE and RANK, or, under `srun`, SLURM_PROCID and
// SLURM_NTASKS for the last two (MASTER_ADDR and MASTER_PORT still set by
// the job script).  Rank 0 serves a c10d TCPStore; the processes form a Gloo
// process group over TCP.  Meta-gradients are all-reduced with Gloo; on a
// GPU they are copied to the host for it (this Debian LibTorch has no NCCL).
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "metabench/algorithm.h"

namespace metabench {

struct Rendezvous {
  std::string master_addr;
  int master_port = 0;
  int rank = 0, world_size = 1;
};

// The rendezvous the environment describes, when it names a world of more
// than one process; ConfigError naming the variable for a malformed one
// (e.g. RANK outside [0, WORLD_SIZE), or MASTER_ADDR missing).
std::optional<Rendezvous> rendezvous_from_environment();

class DistributedGroup : public MetaBatchGroup {
 public:
  // Joins the group (blocks until every process has; EnvironmentError after
  // `timeout_seconds` or when the store cannot be reached).  The timeout
  // also bounds each all-reduce: ranks above 0 wait in one while rank 0
  // validates, so it must exceed the longest validation.
  static std::unique_ptr<DistributedGroup> join(const Rendezvous& rendezvous,
                                                double timeout_seconds = 3600);
  ~DistributedGroup() override;

  int rank() const override;
  int size() const override;
  void all_reduce_sum(at::Tensor& flat) override;

  // A value rank 0 publishes for the others (e.g. which snapshot a resumed
  // run starts from); fetch() waits for it.
  void publish(const std::string& key, const std::string& value);
  std::string fetch(const std::string& key);

 private:
  struct Impl;
  explicit DistributedGroup(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Runs `argv` (this executable's arguments, without --nproc) as `nproc`
// local processes of one world: environment MASTER_ADDR=127.0.0.1, a free
// MASTER_PORT, WORLD_SIZE and RANK.  Forwards SIGINT and SIGTERM to them;
// when one fails, stops the others (SIGTERM, then SIGKILL after 10 s).
// Returns rank 0's exit status (the one that records the run), else the
// first other failure's.
int launch_local_workers(int nproc, const std::vector<std::string>& argv);

}  // namespace metabench
