/*
 * Flow JSON: writes flow events as JSON lines, one object per event (the sensor's offline
 * output, like Zeek's logs). Field names and meanings are in docs/FLOWS.md.
 */
#ifndef UMBRA_SENSOR_FLOW_JSON_H
#define UMBRA_SENSOR_FLOW_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sensor/features.h"
#include "sensor/flow.h"
#include "sensor/payload.h"

struct log;
struct flow_json;

/*
 * flow_json_create() - write events to @path ("-" = stdout). Returns NULL after logging why.
 */
struct flow_json *flow_json_create(const char *path, struct log *log);

/* flow_json_destroy() - flush and close (stdout is flushed, not closed); NULL-safe. */
void flow_json_destroy(struct flow_json **fjp);

/* flow_json_write() - one event as a JSON line, with the flow's features from @fs and @pl
 * (NULL: the features are off), for the event's slot. */
void flow_json_write(struct flow_json *fj, const struct flow_event *ev, const struct features *fs,
                     struct payload *pl);

/*
 * flow_json_flush() - push buffered events to the file. Events are buffered by stdio; an error
 * (disk full, closed pipe) shows only when the buffer is written, so every event since the last
 * good flush counts as lost then. Returns 0 or -errno (logged once).
 */
int flow_json_flush(struct flow_json *fj);

/* flow_json_on_stdout() - whether the events go to standard output ("-"). */
bool flow_json_on_stdout(const struct flow_json *fj);

/* flow_json_errors() - events known not to have reached the file. */
uint64_t flow_json_errors(const struct flow_json *fj);

#endif
