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
// Throws Interrupted when a signal has been received.
void throw_if_interrupted();

}  // namespace metabench
