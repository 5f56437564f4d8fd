#include "core/interrupt.h"

#include <atomic>
#include <csignal>

#include "metabench/errors.h"

namespace metabench {
namespace {

volatile std::sig_atomic_t g_signal = 0;
std::atomic<const char*> g_stop_reason{nullptr};

void on_signal(int signal) { g_signal = signal; }

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocking waitpid returns EINTR so callers notice
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool interrupt_requested() { return g_signal != 0 || g_stop_reason.load() != nullptr; }

int interrupt_signal() { return g_signal; }

void throw_if_interrupted() {
  if (g_signal != 0) throw Interrupted();
  if (const char* reason = g_stop_reason.load()) throw Interrupted(reason);
}

void request_stop(const char* reason) { g_stop_reason.store(reason); }

}  // namespace metabench
