/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/base/clock.h - wall-clock and monotonic time in microseconds/milliseconds. */
#ifndef REPL_CLOCK_H
#define REPL_CLOCK_H

#include <stdint.h>

/** Wall-clock microseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t repl_clock_now_us(void);
/** Monotonic milliseconds, for timeouts and intervals. */
int64_t repl_clock_mono_ms(void);
/** Fill a struct timespec-compatible absolute CLOCK_REALTIME deadline ms from now (for cond waits).
 */
void repl_clock_deadline(void *timespec_out, int64_t ms_from_now);

#endif
