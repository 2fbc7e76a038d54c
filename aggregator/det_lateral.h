/*
 * Lateral movement detector. An internal host that receives an admin-protocol connection (SMB,
 * RPC, RDP, WinRM, SSH, VNC: the configured server ports) and then, within hop_ns, opens an
 * admin connection to another internal host has been used as a stepping stone: X -> A, then
 * A -> B. That hop raises a LATERAL_MOVEMENT alert with the path X -> A -> B; a later hop from B
 * (B -> C within hop_ns of A -> B) grows the same alert (next revision, path X -> A -> B -> C),
 * so a chain is one alert that grows, not one per hop.
 *
 * It reacts to a flow's OPEN record (its first packet), so the alert follows the packet that
 * completes the hop by no more than the sensor's export delay and the transport.
 *
 * Each hop's edge is judged for rarity: an edge the graph had not seen before the hop (a new
 * edge) counts as rare, and the alert says how many of its hops were. Sources in the allow-list
 * (the admins' jump hosts) open admin connections without being judged.
 *
 * Memory: a few inbound admin connections remembered per host id, and max_alerts chains, fixed
 * at create. Threads: one (the ingest loop's).
 */
#ifndef UMBRA_AGGREGATOR_DET_LATERAL_H
#define UMBRA_AGGREGATOR_DET_LATERAL_H

#include <stdint.h>

#include "aggregator/alert.h"
#include "aggregator/graph.h"

struct log;
struct det_lateral;

#define DET_LATERAL_PORTS_MAX 32

struct det_lateral_config {
    uint16_t ports[DET_LATERAL_PORTS_MAX]; /* TCP server ports of admin protocols */
    uint32_t n_ports;
    uint64_t hop_ns;     /* the longest time from arriving on a host to moving on from it */
    uint32_t max_alerts; /* chains watched at once */
    struct graph_prefix allow[GRAPH_PREFIXES_MAX]; /* sources never judged */
    uint32_t n_allow;
};

struct det_lateral_stats {
    uint64_t admin_flows, hops, alerts_raised, alerts_grown, alerts_dropped;
};

struct det_lateral *det_lateral_create(const struct det_lateral_config *cfg, uint32_t max_hosts,
                                       struct log *log);
void det_lateral_destroy(struct det_lateral **dp);

/* det_lateral_observe() - as det_scan_observe(). */
void det_lateral_observe(struct det_lateral *d, const struct graph *g, const struct graph_visit *v,
                         const struct flow_summary *s, const char *sensor_id,
                         const struct alert_sink *sink);

void det_lateral_stats(const struct det_lateral *d, struct det_lateral_stats *out);

#endif
