/*
 * Sensor: the sensor's context. It creates the stages in data-flow order (capture -> decode ->
 * flow table -> output), runs them, keeps the counters no single stage owns (decode results)
 * and prints them. main.c owns options, configuration and signals.
 */
#ifndef UMBRA_SENSOR_SENSOR_H
#define UMBRA_SENSOR_SENSOR_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

struct log;
struct sensor;
struct sensor_config;

/* Flags that main()'s signal handlers set; borrowed by the sensor. */
struct sensor_signals {
    const volatile sig_atomic_t *stop;  /* stop the capture promptly */
    volatile sig_atomic_t *counters;    /* print the counters (the sensor clears it) */
    const volatile sig_atomic_t *abort; /* stop waiting for acknowledgements too (a 2nd signal) */
};

#define SENSOR_VERSION "0.1.0"

/*
 * sensor_create() - open the input, size the flow table, open the JSON output if configured.
 * Returns NULL after logging why.
 */
struct sensor *sensor_create(const struct sensor_config *cfg, const struct sensor_signals *sig,
                             struct log *log);

/* sensor_destroy() - close everything (flush the flows first with sensor_finish); NULL-safe. */
void sensor_destroy(struct sensor **sp);

/*
 * sensor_run_slice() - process a slice of packets (or, live, wait up to the poll timeout),
 * expire idle flows, flush the JSON output, print the counters if asked. Returns 1 while there
 * is more to do, 0 at the end of a file or after a stop, UMBRA_ECAPTURE when the capture
 * failed (logged).
 */
int sensor_run_slice(struct sensor *s);

/* sensor_finish() - end every live flow (reason shutdown) so each is reported once, flush the
 * output, and with export, wait up to export.drain_timeout for the aggregators' acks. */
void sensor_finish(struct sensor *s);

/* sensor_unacknowledged() - batches still unacknowledged in the spool after sensor_finish()
 * (0 without export). They are not lost: the next start sends them. */
uint64_t sensor_unacknowledged(const struct sensor *s);

/* sensor_output_errors() - flow events that could not be written (0 without JSON output). */
uint64_t sensor_output_errors(const struct sensor *s);

/* sensor_print_counters() - the counters, one per line, "  name  value". */
void sensor_print_counters(struct sensor *s, FILE *f);

#endif
