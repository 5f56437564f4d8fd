// Identities of hosts and processes, and the CPUs this process may use.
//
// A sweep's claims on its cells (results/claims.h) name the process that
// holds them by host, pid and the process's start time, so that a dead
// holder is recognised even when its pid has been reused, and a holder on
// another host is never judged by this host's process table.  A claim's
// lease is in wall-clock seconds since the Unix epoch: hosts that share
// claims need clocks that agree to within a fraction of the lease (NTP).
#pragma once

#include <cstdint>
#include <string>

namespace metabench {

// This host's identity: its host name and the kernel's boot id
// (/proc/sys/kernel/random/boot_id), "vm/3f2a9c01"; a reboot is a new host,
// because every process of the old boot is gone.
const std::string& host_identity();

// The start time of process `pid` in clock ticks since boot (field 22 of
// /proc/PID/stat), as text; "" when there is no such process, or only its
// zombie.
std::string process_start_time(int64_t pid);

// True only when the process (host, pid, start) is surely gone: it was on
// this host and no process with that pid and start time exists.  A process
// on another host is never surely gone (only its lease says so).
bool process_gone(const std::string& host, int64_t pid, const std::string& start);

// Seconds since the Unix epoch (the system clock), for leases.
double unix_seconds();

// A random (version 4) UUID, "1b4e28ba-2fa1-4d2b-883f-0016d3cca427", from
// the kernel's random source; run identities that survive merges.
std::string random_uuid();

// The CPUs this process should use by default: those it may run on (its
// CPU affinity mask), no more than its cgroup's CPU quota allows, no more
// than Slurm gave the task (SLURM_CPUS_PER_TASK); OMP_NUM_THREADS, when
// set, wins, as the user's explicit choice.  At least 1.  `source` (when
// given) says which of these decided, for the record.
int usable_cpus(std::string* source = nullptr);

// The path of this process's executable (/proc/self/exe), to start more
// of itself.  InternalError when it cannot be read.
std::string self_executable();

}  // namespace metabench
