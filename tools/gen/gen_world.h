/*
 * World: the network a scenario describes (sites of workstations, the data centre's servers,
 * named internet destinations) and the actors that make its traffic: each workstation's web
 * browsing, time synchronisation and software check-ins, and the attack campaigns. Actors
 * start flows through the simulation; each flow carries its label.
 *
 * Addresses: workstation N (from 1) of a site is the site's network + 9 + N; server N of the
 * data centre the same in its subnet; internet destinations are numbered into 198.18.0.0/15
 * (RFC 2544's benchmarking range, which is never routed, so no real host is named).
 * Sensor points: one per site, in the order of the scenario, then the data centre's.
 */
#ifndef UMBRA_TOOLS_GEN_WORLD_H
#define UMBRA_TOOLS_GEN_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "tools/gen/gen_scenario.h"
#include "tools/gen/gen_sim.h"

struct gen_world;

/* gen_world_create() - the hosts and actors of @sc (borrowed; must outlive the world), their
 * first wake-ups queued in @sim. NULL on out-of-memory, with @err saying so. */
struct gen_world *gen_world_create(const struct gen_scenario *sc, struct gen_sim *sim, char *err,
                                   size_t errcap);
void gen_world_destroy(struct gen_world **wp);

/* gen_world_point_name() - the name of sensor point @point ("hq", ..., "datacenter"). */
const char *gen_world_point_name(const struct gen_world *w, uint32_t point);

/* gen_world_points() - how many sensor points there are. */
uint32_t gen_world_points(const struct gen_world *w);

/* gen_world_host_name() - the name of the host at @ip ("hq-7", "dc1", "www.example.com"), or
 * NULL for none. */
const char *gen_world_host_name(const struct gen_world *w, uint32_t ip);

#endif
