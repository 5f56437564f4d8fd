// Cooperative interruption.  install_interrupt_handlers() makes SIGINT and
// SIGTERM set a flag instead of killing the process; long loops call
// throw_if_interrupted() at safe points, so a run can record itself as
// interrupted and leave the database consistent.
#pragma once

namespace metabench {

void install_interrupt_handlers();
bool interrupt_requested();
// Returns the signal number that was received, or 0.
int interrupt_signal();
// Throws Interrupted when a signal has been received or a stop requested.
void throw_if_interrupted();
// Asks the work in progress to stop as a signal would, for `reason` (a
// static string, e.g. "lost its claim ..."), from any thread.
void request_stop(const char* reason);

}  // namespace metabench
