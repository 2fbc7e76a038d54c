/*
 * Sensor: the sensor's context. It creates the stages in data-flow order (capture -> decode ->
 * flow table -> output), runs them, keeps the counters no single stage owns (decode results)
 * and prints them. main.c owns options, configuration and signals.
 */
#ifndef UMBRA_SENSOR_SENSOR_H
#define UMBRA_SENSOR_SENSOR_H

#include <signal.h>
#include <stdio.h>

struct log;
struct sensor;
struct sensor_config;

/*
 * sensor_create() - open the input, size the flow table, open the JSON output if configured.
 * @stop: flag a signal handler sets to stop the capture promptly (borrowed).
 * Returns NULL after logging why.
 */
struct sensor *sensor_create(const struct sensor_config *cfg, const volatile sig_atomic_t *stop,
                             struct log *log);

/* sensor_destroy() - close everything (flush the flows first with sensor_finish); NULL-safe. */
void sensor_destroy(struct sensor **sp);

/*
 * sensor_run_slice() - process a slice of packets (or, live, wait up to the poll timeout) and
 * expire idle flows. Returns 1 while there is more to do, 0 at the end of a file or after a
 * stop, UMBRA_ECAPTURE when the capture failed (logged).
 */
int sensor_run_slice(struct sensor *s);

/* sensor_finish() - end every live flow (reason shutdown) so each is reported once. */
void sensor_finish(struct sensor *s);

/* sensor_print_counters() - the counters, one per line, "  name  value". */
void sensor_print_counters(struct sensor *s, FILE *f);

#endif
